package dev.atrium.workspace;

import java.time.Instant;
import java.util.Map;
import java.util.function.Function;

import org.jboss.logging.Logger;

import dev.atrium.access.Access;
import dev.atrium.access.Permission;
import dev.atrium.audit.EventLog;
import dev.atrium.common.db.Rows;
import dev.atrium.common.db.Tx;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.security.Actor;
import dev.atrium.common.security.Caller;
import dev.atrium.common.time.Clock;
import dev.atrium.common.web.Reply;
import dev.atrium.idempotency.Idempotency;
import dev.atrium.organization.Organization;
import dev.atrium.provisioning.ProvisioningService;
import dev.atrium.provisioning.SagaEngine;
import dev.atrium.workspace.dto.WorkspaceView;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The end of a workspace's life: delete (a deprovisioning run ends in {@code deleted}), restore within the retention
 * period, and the purge job that removes a deleted workspace for good once its {@code purge_at} has passed. The
 * workspace row, and with it the slug, stays until the purge.
 */
@ApplicationScoped
public class WorkspaceLifecycle {

    private static final Logger LOG = Logger.getLogger(WorkspaceLifecycle.class);

    private final Access access;
    private final EventLog events;
    private final Idempotency idempotency;
    private final ProvisioningService provisioning;
    private final AccessRelationships relationships;
    private final Dataplane dataplane;
    private final LifecycleConfig config;
    private final MeterRegistry metrics;
    private final WorkspaceChanges changes;

    public WorkspaceLifecycle(Access access, EventLog events, Idempotency idempotency,
            ProvisioningService provisioning, AccessRelationships relationships, Dataplane dataplane,
            LifecycleConfig config, MeterRegistry metrics, WorkspaceChanges changes) {
        this.changes = changes;
        this.access = access;
        this.events = events;
        this.idempotency = idempotency;
        this.provisioning = provisioning;
        this.relationships = relationships;
        this.dataplane = dataplane;
        this.config = config;
        this.metrics = metrics;
    }

    /**
     * {@code DELETE /v1/workspaces/{id}}: the owner moves the workspace to {@code deleting} (If-Match honoured), sets
     * {@code purge_at}, and a delete run deprovisions it; the run's last step marks it {@code deleted}.
     */
    public Uni<WorkspaceChanges.Changed> delete(Caller caller, String id, String ifMatch) {
        return Tx.run(() -> access.workspace(caller, id, Permission.WORKSPACE_DELETE)
                .flatMap(grant -> {
                    Workspace ws = Workspace.of(grant.workspace());
                    return changes.apply(ws, caller.actor(), caller.requestId(), "workspace.deleted", ifMatch, org -> {
                        String previous = ws.status;
                        WorkspaceStatus.transition(ws, WorkspaceStatus.DELETING);
                        ws.statusBeforeDelete = previous;
                        ws.deletedAt = Clock.now();
                        ws.purgeAt = ws.deletedAt.plus(config.retention());
                        SagaEngine.Planned run = provisioning.plan(WorkspaceRuns.DELETE, ws.id);
                        ws.provisioningRunId = run.run().id;
                        Tx.afterCommit(() -> {
                            provisioning.kick(run.run().id);
                            metrics.counter("atrium.workspaces.deleted").increment();
                        });
                        return provisioning.persist(run);
                    });
                }));
    }

    /**
     * {@code POST /v1/workspaces/{id}/restore}: a deleted workspace before its {@code purge_at} goes back to the
     * status it had, with its members, keys and invitations (never touched by the delete), its environments ready
     * again and its access relationships rewritten. With a dataplane configured, a restore run brings the
     * dataplane's resources back.
     */
    public Uni<Idempotency.Outcome<WorkspaceChanges.Changed>> restore(Caller caller, String id,
            String idempotencyKey, Function<WorkspaceChanges.Changed, Reply> reply) {
        return idempotency.run(caller, idempotencyKey, Map.of("restore", id),
                () -> access.workspace(caller, id, Permission.WORKSPACE_RESTORE),
                () -> access.workspace(caller, id, Permission.WORKSPACE_RESTORE).flatMap(grant -> {
                    Workspace ws = Workspace.of(grant.workspace());
                    if (!WorkspaceStatus.DELETED.wire().equals(ws.status) || ws.statusBeforeDelete == null) {
                        throw ApiException.invalidTransition(ws.status, "restored");
                    }
                    if (ws.purgeAt != null && !ws.purgeAt.isAfter(Clock.now())) {
                        throw ApiException.invalidTransition(ws.status, "restored")
                                .extension("purge_at", ws.purgeAt);
                    }
                    return changes.apply(ws, caller.actor(), caller.requestId(), "workspace.restored", org -> {
                        WorkspaceStatus target = WorkspaceStatus.of(ws.statusBeforeDelete);
                        WorkspaceStatus.transition(ws, target);
                        ws.statusBeforeDelete = null;
                        ws.deletedAt = null;
                        ws.purgeAt = null;
                        if (target == WorkspaceStatus.FAILED) {
                            return Uni.createFrom().voidItem(); // never provisioned: nothing to bring back
                        }
                        Uni<Void> resources = WorkspaceRuns.setEnvironments(ws.id, EnvironmentStatus.READY)
                                .chain(() -> relationships.writeOwner(ws));
                        if (dataplane.configured()) {
                            SagaEngine.Planned run = provisioning.plan(WorkspaceRuns.RESTORE, ws.id);
                            ws.provisioningRunId = run.run().id;
                            Tx.afterCommit(() -> provisioning.kick(run.run().id));
                            resources = resources.chain(() -> provisioning.persist(run));
                        }
                        return resources;
                    });
                }), reply);
    }

    // ---------------------------------------------------------------- purge

    @Scheduled(every = "${atrium.lifecycle.purge-every:10m}", delayed = "30s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> purgeJob() {
        return purgeDue().onFailure().recoverWithItem(t -> {
            LOG.warnf("purge failed: %s", t.toString());
            return 0;
        }).replaceWithVoid();
    }

    /**
     * Removes deleted workspaces whose {@code purge_at} has passed, up to 100 per call: their rows (members, keys,
     * invitations, environments, runs, usage and access relationships go with the workspace row) and their events
     * older than the audit retention; younger events stay for audit. Records one {@code workspace.purged} each.
     */
    public Uni<Integer> purgeDue() {
        return Panache.withSession(() -> Panache.getSession().chain(s -> s.createNativeQuery(
                "select id from workspaces where status = 'deleted' and purge_at <= :now order by purge_at limit 100",
                String.class).setParameter("now", Clock.now()).getResultList()))
                .flatMap(ids -> {
                    Uni<Integer> chain = Uni.createFrom().item(0);
                    for (String id : ids) {
                        chain = chain.flatMap(n -> purge(id).map(done -> done ? n + 1 : n));
                    }
                    return chain;
                });
    }

    private Uni<Boolean> purge(String id) {
        Instant now = Clock.now();
        return Panache.withTransaction(() -> Panache.getSession().chain(s -> Rows.count(s.createNativeQuery("""
                select id from workspaces where id = :id and status = 'deleted' and purge_at <= :now
                   for update skip locked""").setParameter("id", id).setParameter("now", now)))
                .flatMap(locked -> locked == 0 ? Uni.createFrom().item(false)
                        : Workspace.<Workspace>findById(id).flatMap(ws -> Organization
                                .<Organization>findById(ws.organizationId).flatMap(org -> {
                                    WorkspaceView last = WorkspaceMapper.view(ws, org.name);
                                    String organizationId = ws.organizationId;
                                    return Panache.getSession().chain(s -> s.createNativeQuery(
                                            "delete from events where workspace_id = :id and occurred_at < :cutoff")
                                            .setParameter("id", id)
                                            .setParameter("cutoff", now.minus(config.auditRetention()))
                                            .executeUpdate())
                                            .chain(() -> Panache.getSession().chain(s -> s.createNativeQuery(
                                                    "delete from workspaces where id = :id").setParameter("id", id)
                                                    .executeUpdate()))
                                            .chain(() -> Panache.getSession().chain(s -> {
                                                s.detach(ws);
                                                return Uni.createFrom().voidItem();
                                            }))
                                            .chain(() -> events.append("workspace.purged", Actor.SYSTEM, null,
                                                    new EventLog.Subject(organizationId, id, "workspace", id), last,
                                                    null))
                                            .replaceWith(true);
                                }))))
                .invoke(done -> {
                    if (done) {
                        LOG.infof("workspace %s purged", id);
                        metrics.counter("atrium.workspaces.purged").increment();
                    }
                });
    }
}
