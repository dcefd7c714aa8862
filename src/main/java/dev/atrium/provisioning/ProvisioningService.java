package dev.atrium.provisioning;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.atrium.cell.Cells;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.security.Access;
import dev.atrium.common.security.Caller;
import dev.atrium.common.security.Permission;
import dev.atrium.common.time.Clock;
import dev.atrium.idempotency.Idempotency;
import dev.atrium.provisioning.dto.EnvironmentView;
import dev.atrium.provisioning.dto.ProvisioningRunView;
import dev.atrium.workspace.Workspace;
import dev.atrium.workspace.WorkspaceChanges;
import dev.atrium.workspace.WorkspaceStatus;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;

/**
 * The provisioning API: planning a run inside a workspace transaction, waiting on it, reading it and retrying it.
 * {@link SagaEngine} executes runs.
 */
@ApplicationScoped
public class ProvisioningService {

    public static final List<String> ENVIRONMENTS = SagaEngine.ENVIRONMENTS;

    private final SagaEngine engine;
    private final Cells cells;
    private final Access access;
    private final WorkspaceChanges changes;
    private final Idempotency idempotency;
    private final RunWaiters waiters;

    public ProvisioningService(SagaEngine engine, Cells cells, Access access, WorkspaceChanges changes,
            Idempotency idempotency, RunWaiters waiters) {
        this.engine = engine;
        this.cells = cells;
        this.access = access;
        this.changes = changes;
        this.idempotency = idempotency;
        this.waiters = waiters;
    }

    /** Plans a create run for {@code ws}: assigns its id to the workspace, writes nothing yet. */
    public SagaEngine.Planned planCreate(Workspace ws) {
        return engine.plan(ws, "create");
    }

    /** Plans a run of {@code kind} ({@code delete}, {@code restore}) for {@code ws}. */
    public SagaEngine.Planned plan(Workspace ws, String kind) {
        return engine.plan(ws, kind);
    }

    /** Writes a planned run and its pending steps in the caller's transaction (after the workspace row). */
    public Uni<Void> persist(SagaEngine.Planned planned) {
        return engine.persist(planned);
    }

    /** Starts executing a run after the transaction that planned it has committed. */
    public void kick(String runId) {
        engine.kick(runId);
    }

    /** Claims and executes due runs now; answers how many it took up. */
    public Uni<Integer> runDue() {
        return engine.runDue();
    }

    /** Waits, without polling, until the run has finished or {@code deadline} has passed; answers its status. */
    public Uni<String> awaitFinished(String runId, Instant deadline) {
        return waiters.awaitFinished(runId, deadline).map(status -> status == null ? "failed" : status);
    }

    @WithSession
    public Uni<ProvisioningRunView> get(Caller caller, String runId) {
        cells.requireLocal(runId, "run", caller.pathAndQuery());
        return ProvisioningRun.<ProvisioningRun>findById(runId).flatMap(run -> {
            if (run == null) {
                return Uni.createFrom().failure(ApiException.notFound());
            }
            return access.workspace(caller, run.workspaceId, Permission.RUNS_READ).chain(() -> view(run));
        });
    }

    public static Uni<ProvisioningRunView> view(ProvisioningRun run) {
        return ProvisioningStep.<ProvisioningStep>list("runId = ?1 order by position", run.id)
                .map(steps -> new ProvisioningRunView("provisioning_run", run.id, run.workspaceId, run.kind,
                        run.status, run.error, run.retries, run.finished() ? null : run.nextAttemptAt,
                        run.createdAt, run.startedAt, run.finishedAt,
                        steps.stream().map(s -> new ProvisioningRunView.Step(s.position, s.name, s.status,
                                s.attempts, s.startedAt, s.finishedAt, s.lastError)).toList()));
    }

    /**
     * Re-runs a failed run from its first unfinished step (a compensated create run starts over). A create run
     * moves its workspace from {@code failed} back to {@code provisioning}. Owners, admins and admin services.
     */
    public Uni<Response> retry(Caller caller, String runId, String idempotencyKey) {
        cells.requireLocal(runId, "run", caller.pathAndQuery());
        AtomicBoolean fresh = new AtomicBoolean();
        return idempotency.run(caller, idempotencyKey, Map.of("run_id", runId),
                () -> ProvisioningRun.<ProvisioningRun>findById(runId).chain(run -> run == null
                        ? Uni.createFrom().failure(ApiException.notFound())
                        : access.workspace(caller, run.workspaceId, Permission.RUNS_RETRY)),
                () -> ProvisioningRun.<ProvisioningRun>findById(runId).flatMap(run -> {
                    if (run == null) {
                        return Uni.createFrom().failure(ApiException.notFound());
                    }
                    return access.workspace(caller, run.workspaceId, Permission.RUNS_RETRY)
                            .flatMap(grant -> restart(caller, run, grant.workspace()))
                            .invoke(() -> fresh.set(true))
                            .chain(() -> view(run))
                            .map(view -> new Idempotency.Result(202, view)
                                    .header("Location", "/v1/provisioning-runs/" + run.id)
                                    .header("Retry-After", "1"));
                }))
                .invoke(() -> {
                    if (fresh.get()) {
                        engine.kick(runId);
                    }
                });
    }

    private Uni<Void> restart(Caller caller, ProvisioningRun run, Workspace ws) {
        if (!"failed".equals(run.status)) {
            throw new ApiException(409, "invalid_state_transition",
                    "Only a failed run can be retried; this one is " + run.status + ".")
                    .extension("current_status", run.status);
        }
        Uni<Void> workspace = Uni.createFrom().voidItem();
        if ("create".equals(run.kind)) {
            workspace = changes.apply(ws, caller.actor(), caller.requestId(), "workspace.updated", org -> {
                WorkspaceStatus.transition(ws, WorkspaceStatus.PROVISIONING);
                ws.failureReason = null;
                ws.provisioningRunId = run.id;
                return Uni.createFrom().voidItem();
            }).replaceWithVoid();
        }
        return workspace.chain(() -> Panache.getSession().chain(s -> s.createNativeQuery("""
                update provisioning_steps
                   set status = 'pending', attempts = 0, last_error = null, started_at = null, finished_at = null
                 where run_id = :run and status not in ('succeeded', 'skipped')""")
                .setParameter("run", run.id).executeUpdate()))
                .invoke(() -> {
                    run.status = "pending";
                    run.error = null;
                    run.retries++;
                    run.finishedAt = null;
                    run.nextAttemptAt = Clock.now();
                    run.updatedAt = run.nextAttemptAt;
                    run.leaseOwner = null;
                    run.leaseUntil = null;
                })
                .chain(() -> Panache.getSession().chain(s -> s.flush()))
                .replaceWithVoid();
    }

    @WithSession
    public Uni<List<EnvironmentView>> environments(Caller caller, String workspaceId) {
        return access.workspace(caller, workspaceId, Permission.ENVIRONMENTS_READ)
                .chain(() -> Environment.<Environment>list("workspaceId = ?1 order by createdAt, name", workspaceId))
                .map(envs -> envs.stream().map(e -> new EnvironmentView("environment", e.id, e.workspaceId, e.name,
                        e.status, e.createdAt)).toList());
    }
}
