package dev.atrium.provisioning;

import java.time.Instant;
import java.util.Map;
import java.util.function.Function;

import dev.atrium.access.Access;
import dev.atrium.access.Permission;
import dev.atrium.cell.Cells;
import dev.atrium.common.db.Tx;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.security.Caller;
import dev.atrium.common.web.Reply;
import dev.atrium.idempotency.Idempotency;
import dev.atrium.provisioning.dto.ProvisioningRunView;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The provisioning API: planning a run inside the caller's transaction, waiting on it, reading it and retrying it.
 * {@link SagaEngine} executes runs.
 */
@ApplicationScoped
public class ProvisioningService {

    private final SagaEngine engine;
    private final Cells cells;
    private final Access access;
    private final Idempotency idempotency;
    private final RunWaiters waiters;

    public ProvisioningService(SagaEngine engine, Cells cells, Access access, Idempotency idempotency,
            RunWaiters waiters) {
        this.engine = engine;
        this.cells = cells;
        this.access = access;
        this.idempotency = idempotency;
        this.waiters = waiters;
    }

    /** Plans a run of {@code kind} for the workspace {@code workspaceId}; writes nothing yet. */
    public SagaEngine.Planned plan(String kind, String workspaceId) {
        return engine.plan(kind, workspaceId);
    }

    /** Writes a planned run and its pending steps in the caller's transaction (after the workspace row). */
    public Uni<Void> persist(SagaEngine.Planned planned) {
        return engine.persist(planned);
    }

    /** Whether a run of {@code kind} would have only local steps now, so a waiting caller can {@link #runInline} it. */
    public boolean allLocal(String kind) {
        return engine.allLocal(kind);
    }

    /**
     * Runs a planned run to its end in the caller's transaction instead of persisting it and starting it after the
     * commit; the run and its steps are written once, as they ended.
     */
    public Uni<Void> runInline(SagaEngine.Planned planned) {
        return engine.runInline(planned);
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
        return waiters.awaitFinished(runId, deadline).map(status -> status == null ? RunStatus.FAILED.wire() : status);
    }

    @WithSession
    public Uni<ProvisioningRunView> get(Caller caller, String runId) {
        cells.requireLocal(runId, "run", caller.pathAndQuery());
        return authorized(caller, runId, Permission.RUNS_READ).flatMap(ProvisioningService::view);
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
     * Re-runs a failed run from its first unfinished step (a compensated create run starts over); its kind moves
     * the workspace back too (a create run: from {@code failed} to {@code provisioning}). Owners, admins and admin
     * services.
     */
    public Uni<Idempotency.Outcome<ProvisioningRunView>> retry(Caller caller, String runId, String idempotencyKey,
            Function<ProvisioningRunView, Reply> reply) {
        cells.requireLocal(runId, "run", caller.pathAndQuery());
        return idempotency.run(caller, idempotencyKey, Map.of("run_id", runId),
                () -> authorized(caller, runId, Permission.RUNS_RETRY),
                () -> authorized(caller, runId, Permission.RUNS_RETRY)
                        .call(run -> engine.restart(run, caller))
                        .invoke(run -> Tx.afterCommit(() -> engine.kick(run.id)))
                        .flatMap(ProvisioningService::view),
                reply);
    }

    /** The run, when the caller holds {@code permission} on its workspace; 404 otherwise. */
    private Uni<ProvisioningRun> authorized(Caller caller, String runId, Permission permission) {
        return ProvisioningRun.<ProvisioningRun>findById(runId).chain(run -> run == null
                ? Uni.createFrom().failure(ApiException.notFound())
                : access.workspace(caller, run.workspaceId, permission).replaceWith(run));
    }
}
