package dev.atrium.usage;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

import dev.atrium.access.Access;
import dev.atrium.access.Permission;
import dev.atrium.access.WorkspaceRef;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.security.Caller;
import dev.atrium.common.time.Clock;
import dev.atrium.member.Seats;
import dev.atrium.plan.Plans;
import dev.atrium.usage.dto.ApiCallsView;
import dev.atrium.usage.dto.BillingView;
import dev.atrium.usage.dto.DayCalls;
import dev.atrium.usage.dto.SeatsView;
import dev.atrium.usage.dto.UsageView;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** A workspace's usage (members, seats, keys, API calls) and billing (plan, seats, entitlements). Reads only. */
@ApplicationScoped
public class UsageService {

    static final int DEFAULT_DAYS = 30;
    static final int MAX_DAYS = 90;

    private final Access access;
    private final Seats seats;
    private final Plans plans;
    private final UsageCounter counter;

    public UsageService(Access access, Seats seats, Plans plans, UsageCounter counter) {
        this.access = access;
        this.seats = seats;
        this.plans = plans;
        this.counter = counter;
    }

    private record Figures(WorkspaceRef workspace, long members, long pendingInvitations, long apiKeys) {
    }

    public Uni<UsageView> usage(Caller caller, String workspaceId, String daysParam) {
        int days = days(daysParam);
        LocalDate today = UsageCounter.today();
        LocalDate from = today.minusDays(days - 1L);
        // The session ends before API calls are read: they come from the pool and the in-memory counter.
        return Panache.withSession(() -> access.workspace(caller, workspaceId, Permission.USAGE_READ)
                .flatMap(grant -> figures(grant.workspace(), Clock.now())))
                .flatMap(f -> counter.calls(workspaceId, from, today).map(calls -> {
                    List<DayCalls> perDay = new ArrayList<>(days);
                    for (LocalDate d = today; !d.isBefore(from); d = d.minusDays(1)) {
                        perDay.add(new DayCalls(d, calls.getOrDefault(d, 0L)));
                    }
                    long used = f.members() + f.pendingInvitations();
                    return new UsageView("usage", workspaceId, f.members(), f.pendingInvitations(),
                            new SeatsView(used, seats.limit(f.workspace())), f.apiKeys(),
                            new ApiCallsView(calls.getOrDefault(today, 0L), perDay));
                }));
    }

    public Uni<BillingView> billing(Caller caller, String workspaceId) {
        return Panache.withSession(() -> access.workspace(caller, workspaceId, Permission.BILLING_READ)
                .flatMap(grant -> seats.used(workspaceId, Clock.now()).map(used -> {
                    WorkspaceRef ws = grant.workspace();
                    String plan = ws.plan();
                    return new BillingView("billing", ws.id(), ws.billingMode(), plan, ws.pooledSeatLimit(),
                            new SeatsView(used, seats.limit(ws)), plans.apiAccess(plan), plans.maxApiKeys(plan),
                            plans.maxMembers(plan), plans.auditRetentionDays(plan));
                })));
    }

    static int days(String param) {
        if (param == null) {
            return DEFAULT_DAYS;
        }
        try {
            int days = Integer.parseInt(param.trim());
            if (days >= 1 && days <= MAX_DAYS) {
                return days;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw ApiException.validation("days", "an integer from 1 to " + MAX_DAYS);
    }

    /** Members, pending unexpired invitations (seats, as {@link Seats} counts them) and live API keys, in one query. */
    private Uni<Figures> figures(WorkspaceRef ws, Instant now) {
        return Panache.getSession().chain(s -> s.createNativeQuery("select"
                + " (select count(*) from workspace_members where workspace_id = :id),"
                + " (select count(*) from invitations where workspace_id = :id and status = 'pending'"
                + " and expires_at > :now),"
                + " (select count(*) from api_keys where workspace_id = :id and revoked_at is null"
                + " and (expires_at is null or expires_at > :now))", Object[].class)
                .setParameter("id", ws.id()).setParameter("now", now).getSingleResult())
                .map(row -> new Figures(ws, count(row[0]), count(row[1]), count(row[2])));
    }

    private static long count(Object value) {
        return value == null ? 0 : ((Number) value).longValue();
    }
}
