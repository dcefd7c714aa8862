package dev.atrium.invitation;

import java.time.Instant;
import java.util.List;

import org.jboss.logging.Logger;

import dev.atrium.access.WorkspaceDirectory;
import dev.atrium.audit.EventLog;
import dev.atrium.common.security.Actor;
import dev.atrium.common.time.Clock;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Stores pending invitations past their {@code expires_at} as {@code expired}, each with its
 * {@code invitation.expired} event. Reads never need it (an invitation stops counting and being acceptable at its
 * expiry by itself); it makes the status and the event feed say so. Rows are claimed with SKIP LOCKED, so instances
 * running it together split the work.
 */
@ApplicationScoped
public class InvitationExpiry {

    private static final Logger LOG = Logger.getLogger(InvitationExpiry.class);
    private static final int BATCH = 500;

    private final EventLog events;
    private final WorkspaceDirectory workspaces;

    public InvitationExpiry(EventLog events, WorkspaceDirectory workspaces) {
        this.events = events;
        this.workspaces = workspaces;
    }

    @Scheduled(every = "${atrium.lifecycle.invitation-expiry-every:1m}", delayed = "20s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> job() {
        return expireDue().onFailure().recoverWithItem(t -> {
            LOG.warnf("invitation expiry failed: %s", t.toString());
            return 0;
        }).replaceWithVoid();
    }

    /** Expires up to a batch of due invitations in one transaction; answers how many. */
    public Uni<Integer> expireDue() {
        Instant now = Clock.now();
        return Panache.withTransaction(() -> Panache.getSession().chain(s -> s.createNativeQuery("""
                select id from invitations where status = 'pending' and expires_at <= :now
                 order by expires_at limit :batch for update skip locked""", String.class)
                .setParameter("now", now).setParameter("batch", BATCH).getResultList())
                .flatMap(ids -> ids.isEmpty() ? Uni.createFrom().item(0) : expire(ids, now)));
    }

    private Uni<Integer> expire(List<String> ids, Instant now) {
        return Invitation.<Invitation>list("id in ?1", ids).flatMap(invitations -> {
            Uni<Void> chain = Uni.createFrom().voidItem();
            for (Invitation inv : invitations) {
                chain = chain.chain(() -> workspaces.workspace(inv.workspaceId).flatMap(ws -> {
                    var before = InvitationMapper.view(inv, now);
                    inv.status = InvitationStatus.EXPIRED.wire();
                    inv.updatedAt = now;
                    return events.append("invitation.expired", Actor.SYSTEM, null,
                            new EventLog.Subject(ws.organizationId(), ws.id(), "invitation", inv.id), before,
                            InvitationMapper.view(inv, now)).replaceWithVoid();
                }));
            }
            return chain.replaceWith(invitations.size());
        });
    }
}
