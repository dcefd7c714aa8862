package dev.atrium.member;

import java.time.Instant;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.atrium.access.WorkspaceRef;
import dev.atrium.common.db.Rows;
import dev.atrium.common.db.SessionSql;
import dev.atrium.common.problem.ApiException;
import dev.atrium.plan.Plans;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.FlushModeType;

/**
 * Seat accounting, shared by invites, accepts and seat-limit changes. Seats are members of every role plus pending,
 * unexpired invitations. Counting and claiming happen under the workspace row lock, so concurrent invites and
 * accepts of one workspace are decided one after another and never overshoot a limit. Must run in a transaction.
 * The queries never flush the session: a caller may hold pending changes to the workspace it is checking.
 */
@ApplicationScoped
public class Seats {

    private final Plans plans;
    private final int maxJoinedWorkspaces;

    public Seats(Plans plans,
            @ConfigProperty(name = "atrium.limits.max-joined-workspaces", defaultValue = "100") int maxJoinedWorkspaces) {
        this.plans = plans;
        this.maxJoinedWorkspaces = maxJoinedWorkspaces;
    }

    /** Takes the workspace row lock until the transaction ends. */
    public Uni<Void> lock(String workspaceId) {
        return Panache.getSession().chain(s -> Rows.count(s.createNativeQuery(
                "select id from workspaces where id = :id for update").setParameter("id", workspaceId)
                .setFlushMode(FlushModeType.COMMIT))).replaceWithVoid();
    }

    /** Seats in use at {@code now}; call it after {@link #lock} for a count that stays true until commit. */
    public Uni<Long> used(String workspaceId, Instant now) {
        return Panache.getSession().chain(s -> s.createNativeQuery("select (select count(*) from workspace_members"
                + " where workspace_id = :id) + (select count(*) from invitations where workspace_id = :id"
                + " and status = 'pending' and expires_at > :now)", Long.class)
                .setParameter("id", workspaceId).setParameter("now", now).setFlushMode(FlushModeType.COMMIT)
                .getSingleResult());
    }

    public Uni<Long> lockAndCount(String workspaceId, Instant now) {
        return lock(workspaceId).chain(() -> used(workspaceId, now));
    }

    /** The most seats the workspace may hold: its plan's member limit, and the pooled seat limit when pooled. */
    public int limit(WorkspaceRef ws) {
        return limit(plans.maxMembers(ws.plan()), ws.billingMode(), ws.pooledSeatLimit());
    }

    /** Seat arithmetic: the plan's member limit, lowered to the pooled seat limit of a pooled workspace. */
    static int limit(int planMembers, String billingMode, Integer pooledSeatLimit) {
        if ("pooled".equals(billingMode) && pooledSeatLimit != null) {
            return Math.min(planMembers, pooledSeatLimit);
        }
        return planMembers;
    }

    /** 403 {@code limit_exceeded} when {@code seats} (after the change) would not fit the workspace. */
    public void requireWithin(WorkspaceRef ws, long seats) {
        int limit = limit(ws);
        if (seats > limit) {
            throw new ApiException(403, "limit_exceeded", "The workspace may hold " + limit
                    + " seats (members and pending invitations); this would make " + seats + ".")
                    .extension("seat_limit", limit);
        }
    }

    /**
     * A user belongs to at most {@code atrium.limits.max-joined-workspaces} live workspaces. The lock of the user's
     * count (V12) serializes that user's joins until their commit: a membership written takes it, and so does this
     * check. {@code includesThisJoin}: the caller's new membership is already written (and so counted).
     */
    public Uni<Void> requireJoinBudget(String userId, boolean includesThisJoin) {
        int allowed = includesThisJoin ? maxJoinedWorkspaces + 1 : maxJoinedWorkspaces;
        if (allowed <= 0) {
            return Uni.createFrom().failure(joinLimit());
        }
        // Under the user's lock (held until the commit), whether their count of live memberships has reached
        // `allowed`: one statement, one row read (V12), whatever the user owns, the limit or the size of the cell.
        // The database keeps the count with every membership written and every workspace deleted or restored.
        return Panache.getSession().chain(s -> SessionSql.update(s, "select 1 where user_at_join_limit($1, $2)",
                userId, allowed))
                .map(atLimit -> {
                    if (atLimit > 0) {
                        throw joinLimit();
                    }
                    return null;
                });
    }

    private ApiException joinLimit() {
        return new ApiException(403, "limit_exceeded", "The user already belongs to " + maxJoinedWorkspaces
                + " workspaces, the most one user may join.");
    }
}
