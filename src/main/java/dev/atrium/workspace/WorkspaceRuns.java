package dev.atrium.workspace;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import dev.atrium.cell.Cells;
import dev.atrium.common.db.SessionSql;
import dev.atrium.common.security.Actor;
import dev.atrium.common.security.Caller;
import dev.atrium.common.time.Clock;
import dev.atrium.provisioning.ProvisioningRun;
import dev.atrium.provisioning.ProvisioningStep;
import dev.atrium.provisioning.RunKind;
import dev.atrium.provisioning.RunStep;
import dev.atrium.provisioning.StepStatus;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/**
 * The provisioning runs of a workspace and their steps: create (environments, dataplane, access, activate), delete
 * (access, dataplane, environments, finalize) and restore (dataplane). The dataplane step calls the dataplane API
 * when one is configured and is skipped otherwise. A create run that gives up undoes its completed steps and marks
 * the workspace {@code failed}; delete and restore runs have nothing to roll back to.
 */
@ApplicationScoped
public class WorkspaceRuns {

    public static final String CREATE = "create";
    public static final String DELETE = "delete";
    public static final String RESTORE = "restore";
    public static final List<String> ENVIRONMENTS = List.of("dev", "staging", "prod");

    private final Cells cells;
    private final Dataplane dataplane;
    private final AccessRelationships relationships;
    private final WorkspaceChanges changes;

    public WorkspaceRuns(Cells cells, Dataplane dataplane, AccessRelationships relationships,
            WorkspaceChanges changes) {
        this.cells = cells;
        this.dataplane = dataplane;
        this.relationships = relationships;
        this.changes = changes;
    }

    @Produces
    @ApplicationScoped
    RunKind create() {
        return new Kind(CREATE, true, List.of(
                local("environments", (run, ws) -> createEnvironments(ws), (run, ws) -> deleteEnvironments(ws.id)),
                dataplaneStep(true),
                local("access", (run, ws) -> relationships.writeOwner(ws),
                        (run, ws) -> relationships.deleteAll(ws.id).replaceWithVoid()),
                // A workspace already active was activated with its insert (activateBeforeInsert): nothing to do.
                local("activate", (run, ws) -> WorkspaceStatus.ACTIVE.is(ws.status) ? Uni.createFrom().voidItem()
                        : transition(ws, WorkspaceStatus.ACTIVE, "workspace.provisioned", null), null))) {

            @Override
            public Uni<Void> gaveUp(ProvisioningRun run) {
                return workspace(run).flatMap(ws -> WorkspaceStatus.PROVISIONING.wire().equals(ws.status)
                        ? transition(ws, WorkspaceStatus.FAILED, "workspace.provisioning_failed", run.error)
                        : Uni.createFrom().voidItem());
            }

            @Override
            public Uni<Void> retried(ProvisioningRun run, Caller caller) {
                return workspace(run).flatMap(ws -> changes.apply(ws, caller.actor(), caller.requestId(),
                        "workspace.updated", org -> {
                            WorkspaceStatus.transition(ws, WorkspaceStatus.PROVISIONING);
                            ws.failureReason = null;
                            ws.provisioningRunId = run.id;
                            return Uni.createFrom().voidItem();
                        }).replaceWithVoid());
            }
        };
    }

    @Produces
    @ApplicationScoped
    RunKind delete() {
        return new Kind(DELETE, false, List.of(
                local("access", (run, ws) -> relationships.deleteAll(ws.id).replaceWithVoid(), null),
                dataplaneStep(false),
                local("environments", (run, ws) -> setEnvironments(ws.id, EnvironmentStatus.DELETED), null),
                local("finalize", (run, ws) -> transition(ws, WorkspaceStatus.DELETED, "workspace.updated", null),
                        null)));
    }

    @Produces
    @ApplicationScoped
    RunKind restore() {
        return new Kind(RESTORE, false, List.of(dataplaneStep(true)));
    }

    // ---------------------------------------------------------------- steps

    /** Work on the run's workspace, in the step's (or the compensation's) transaction. */
    private interface Work {
        Uni<Void> on(ProvisioningRun run, Workspace ws);
    }

    private RunStep local(String name, Work work, Work undo) {
        return new RunStep() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Uni<StepStatus> run(ProvisioningRun run, ProvisioningStep step) {
                return workspace(run).flatMap(ws -> work.on(run, ws)).replaceWith(StepStatus.SUCCEEDED);
            }

            @Override
            public Uni<Void> compensate(ProvisioningRun run, ProvisioningStep step) {
                return undo == null ? Uni.createFrom().voidItem() : workspace(run).flatMap(ws -> undo.on(run, ws));
            }
        };
    }

    /**
     * {@code PUT} (provision) or {@code DELETE} the workspace's dataplane resources with the step's idempotency key;
     * skipped, doing nothing, on a cell without a dataplane. A provisioning call is undone by a delete.
     */
    private RunStep dataplaneStep(boolean provision) {
        return new RunStep() {
            @Override
            public String name() {
                return "dataplane";
            }

            @Override
            public boolean external() {
                return dataplane.configured();
            }

            @Override
            public java.time.Duration timeout() {
                return dataplane.timeout();
            }

            @Override
            public Uni<StepStatus> run(ProvisioningRun run, ProvisioningStep step) {
                if (!dataplane.configured()) {
                    return Uni.createFrom().item(StepStatus.SKIPPED);
                }
                Uni<Void> call = provision
                        ? Panache.withSession(() -> Workspace.<Workspace>findById(run.workspaceId))
                                .flatMap(ws -> dataplane.provision(ws.id, Map.of("id", ws.id, "organization_id",
                                        ws.organizationId, "name", ws.name, "slug", ws.slug, "region", ws.region,
                                        "tenancy_model", ws.tenancyModel, "plan", ws.plan, "environments",
                                        ENVIRONMENTS), step.idempotencyKey))
                        : dataplane.deprovision(run.workspaceId, step.idempotencyKey);
                return call.replaceWith(StepStatus.SUCCEEDED);
            }

            @Override
            public Uni<Void> compensate(ProvisioningRun run, ProvisioningStep step) {
                return provision && dataplane.configured()
                        ? dataplane.deprovision(run.workspaceId, step.idempotencyKey + ":compensate")
                        : Uni.createFrom().voidItem();
            }
        };
    }

    private static Uni<Workspace> workspace(ProvisioningRun run) {
        return Workspace.<Workspace>findById(run.workspaceId);
    }

    /**
     * The workspace's environments, one statement; those it already has (a step redone) are left as they are.
     * Each is a microsecond younger than the one before it, so lists keep the order of {@link #ENVIRONMENTS}.
     */
    private Uni<Void> createEnvironments(Workspace ws) {
        List<String> ids = ENVIRONMENTS.stream().map(name -> cells.newId("env")).toList();
        return Panache.getSession().chain(s -> SessionSql.update(s, """
                insert into environments (id, workspace_id, name, status, created_at)
                select id, $1, name, $2, cast($3 as timestamptz) + (n - 1) * interval '1 microsecond'
                  from unnest(cast($4 as text[]), cast($5 as text[])) with ordinality as e(id, name, n)
                on conflict (workspace_id, name) do nothing""", ws.id, EnvironmentStatus.READY.wire(),
                SessionSql.at(Clock.now()), ids.toArray(String[]::new), ENVIRONMENTS.toArray(String[]::new)))
                .replaceWithVoid();
    }

    /** Every environment of the workspace in {@code status} (deleted with it, ready again when it is restored). */
    static Uni<Void> setEnvironments(String workspaceId, EnvironmentStatus status) {
        return Panache.getSession().chain(s -> s.createNativeQuery(
                "update environments set status = :status where workspace_id = :ws").setParameter("status", status.wire())
                .setParameter("ws", workspaceId).executeUpdate()).replaceWithVoid();
    }

    private static Uni<Void> deleteEnvironments(String workspaceId) {
        return Panache.getSession().chain(s -> s.createNativeQuery("delete from environments where workspace_id = :ws")
                .setParameter("ws", workspaceId).executeUpdate()).replaceWithVoid();
    }

    /**
     * The activate step's change made to a workspace not yet written, for a create whose run goes on to run inline
     * in the same transaction ({@code SagaEngine.runInline}): its row is then inserted once, active, and the step
     * finds nothing to do. Nobody sees the workspace before that commit, so it is never seen provisioning but in the
     * events. Answers the step's event ({@code workspace.provisioned}), for the caller to append once the run's other
     * steps are done, where the step would have written it.
     */
    Supplier<Uni<Void>> activateBeforeInsert(Workspace ws, String organizationName) {
        return changes.beforeInsert(ws, organizationName, Actor.SYSTEM, null, "workspace.provisioned", () -> {
            WorkspaceStatus.transition(ws, WorkspaceStatus.ACTIVE);
            ws.failureReason = null;
        });
    }

    /** Moves the workspace through the status machine and writes the event, in the step's transaction. */
    private Uni<Void> transition(Workspace ws, WorkspaceStatus target, String eventType, String reason) {
        return changes.apply(ws, Actor.SYSTEM, null, eventType, org -> {
            WorkspaceStatus.transition(ws, target);
            ws.failureReason = reason;
            return Uni.createFrom().voidItem();
        }).replaceWithVoid();
    }

    private static class Kind implements RunKind {
        private final String name;
        private final boolean compensates;
        private final List<RunStep> steps;

        Kind(String name, boolean compensates, List<RunStep> steps) {
            this.name = name;
            this.compensates = compensates;
            this.steps = steps;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public List<RunStep> steps() {
            return steps;
        }

        @Override
        public boolean compensates() {
            return compensates;
        }
    }
}
