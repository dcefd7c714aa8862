package dev.atrium.provisioning;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;

import org.jboss.logging.Logger;

import dev.atrium.audit.EventLog;
import dev.atrium.cell.Cells;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.security.Access;
import dev.atrium.common.security.Actor;
import dev.atrium.common.security.Caller;
import dev.atrium.common.security.Permission;
import dev.atrium.common.time.Clock;
import dev.atrium.organization.Organization;
import dev.atrium.provisioning.dto.EnvironmentView;
import dev.atrium.provisioning.dto.ProvisioningRunView;
import dev.atrium.workspace.Workspace;
import dev.atrium.workspace.WorkspaceMapper;
import dev.atrium.workspace.WorkspaceStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Provisioning runs and their steps are rows written in the same transaction as the workspace. A run is claimed
 * by a conditional update (only one instance moves it from pending to running) and executed after the creating
 * transaction commits; a periodic sweep picks up runs whose kick was lost, for example to a crash.
 */
@ApplicationScoped
public class ProvisioningService {

    private static final Logger LOG = Logger.getLogger(ProvisioningService.class);
    public static final List<String> CREATE_STEPS = List.of("environments", "dataplane", "access", "activate");
    public static final List<String> ENVIRONMENTS = List.of("dev", "staging", "prod");

    private final Cells cells;
    private final Access access;
    private final EventLog events;
    private final Vertx vertx;
    private final MeterRegistry metrics;

    public ProvisioningService(Cells cells, Access access, EventLog events, Vertx vertx, MeterRegistry metrics) {
        this.cells = cells;
        this.access = access;
        this.events = events;
        this.vertx = vertx;
        this.metrics = metrics;
    }

    /** Plans a create run for {@code ws}: assigns its id to the workspace, writes nothing yet. */
    public ProvisioningRun planCreate(Workspace ws) {
        ProvisioningRun run = new ProvisioningRun();
        run.id = cells.newId("run");
        run.workspaceId = ws.id;
        run.kind = "create";
        run.status = "pending";
        run.createdAt = Clock.now();
        ws.provisioningRunId = run.id;
        return run;
    }

    /** Writes a planned run and its pending steps in the caller's transaction (after the workspace row). */
    public Uni<Void> persist(ProvisioningRun run) {
        Uni<?> chain = run.persist();
        for (int i = 0; i < CREATE_STEPS.size(); i++) {
            ProvisioningStep step = new ProvisioningStep();
            step.runId = run.id;
            step.position = i + 1;
            step.name = CREATE_STEPS.get(i);
            step.status = "pending";
            chain = chain.chain(() -> step.persist());
        }
        return chain.replaceWithVoid();
    }

    /** Starts executing a run on a fresh context, detached from the request that created it. */
    public void kick(String runId) {
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        VertxContextSafetyToggle.setContextSafe(context, true);
        context.runOnContext(v -> Uni.createFrom().deferred(() -> execute(runId)).subscribe().with(
                ok -> {
                },
                failure -> LOG.errorf(failure, "provisioning run %s could not be executed", runId)));
    }

    /** Waits, without blocking a thread, until the run has finished or {@code deadline} has passed. */
    public Uni<String> awaitFinished(String runId, Instant deadline) {
        return Panache.withSession(() -> ProvisioningRun.<ProvisioningRun>findById(runId))
                .map(r -> r == null ? "failed" : r.status)
                .flatMap(status -> {
                    if (status.equals("succeeded") || status.equals("failed") || Instant.now().isAfter(deadline)) {
                        return Uni.createFrom().item(status);
                    }
                    // A Vert.x timer keeps the continuation on this context, where Hibernate Reactive must run.
                    return Uni.createFrom().<Void>emitter(em -> vertx.setTimer(25, id -> em.complete(null)))
                            .chain(() -> awaitFinished(runId, deadline));
                });
    }

    Uni<Void> execute(String runId) {
        return Panache.withTransaction(() -> Panache.getSession().chain(s -> s.createNativeQuery(
                "update provisioning_runs set status = 'running', started_at = :now where id = :id and status = 'pending'")
                .setParameter("now", Clock.now()).setParameter("id", runId).executeUpdate()))
                .flatMap(claimed -> claimed == 0 ? Uni.createFrom().voidItem() : runCreate(runId)
                        .onFailure().recoverWithUni(failure -> fail(runId, failure)));
    }

    private Uni<Void> runCreate(String runId) {
        return Panache.withTransaction(() -> ProvisioningRun.<ProvisioningRun>findById(runId).flatMap(run -> Workspace
                .<Workspace>findById(run.workspaceId).flatMap(ws -> ProvisioningStep
                        .<ProvisioningStep>list("runId", runId).flatMap(steps -> {
                            steps.sort(Comparator.comparingInt(s -> s.position));
                            Uni<?> chain = Uni.createFrom().voidItem();
                            for (ProvisioningStep step : steps) {
                                chain = chain.chain(() -> perform(step, ws));
                            }
                            return chain.chain(() -> {
                                run.status = "succeeded";
                                run.finishedAt = Clock.now();
                                return Organization.<Organization>findById(ws.organizationId);
                            }).flatMap(org -> {
                                Object before = WorkspaceMapper.view(ws, org.name);
                                WorkspaceStatus.transition(ws, WorkspaceStatus.ACTIVE);
                                ws.updatedAt = Clock.now();
                                ws.updatedBy = Actor.SYSTEM;
                                return Panache.getSession().chain(s -> s.flush())
                                        .chain(() -> events.append("workspace.provisioned", Actor.SYSTEM, null,
                                                new EventLog.Subject(ws.organizationId, ws.id, "workspace", ws.id),
                                                before, WorkspaceMapper.view(ws, org.name)));
                            });
                        }))))
                .invoke(() -> metrics.counter("atrium.provisioning.runs", "outcome", "succeeded").increment())
                .replaceWithVoid();
    }

    private Uni<Void> perform(ProvisioningStep step, Workspace ws) {
        step.attempts++;
        step.startedAt = Clock.now();
        Uni<Void> work = switch (step.name) {
            case "environments" -> createEnvironments(ws);
            // No dataplane endpoint is configured in this cell: the step is recorded as skipped.
            case "dataplane" -> Uni.createFrom().voidItem().invoke(() -> step.status = "skipped");
            default -> Uni.createFrom().voidItem();
        };
        return work.invoke(() -> {
            if (!"skipped".equals(step.status)) {
                step.status = "succeeded";
            }
            step.finishedAt = Clock.now();
        });
    }

    private Uni<Void> createEnvironments(Workspace ws) {
        return Environment.<Environment>list("workspaceId", ws.id).flatMap(existing -> {
            Uni<?> chain = Uni.createFrom().voidItem();
            for (String name : ENVIRONMENTS) {
                if (existing.stream().anyMatch(e -> e.name.equals(name))) {
                    continue;
                }
                Environment env = new Environment();
                env.id = cells.newId("env");
                env.workspaceId = ws.id;
                env.name = name;
                env.status = "ready";
                env.createdAt = Clock.now();
                chain = chain.chain(() -> env.persist());
            }
            return chain.replaceWithVoid();
        });
    }

    private Uni<Void> fail(String runId, Throwable failure) {
        LOG.warnf("provisioning run %s failed: %s", runId, failure.toString());
        String reason = failure instanceof ApiException api ? api.getMessage() : "provisioning step failed";
        metrics.counter("atrium.provisioning.runs", "outcome", "failed").increment();
        return Panache.withTransaction(() -> ProvisioningRun.<ProvisioningRun>findById(runId).flatMap(run -> {
            run.status = "failed";
            run.error = reason;
            run.finishedAt = Clock.now();
            return Workspace.<Workspace>findById(run.workspaceId).flatMap(ws -> {
                if (!WorkspaceStatus.PROVISIONING.wire().equals(ws.status)) {
                    return Uni.createFrom().voidItem();
                }
                WorkspaceStatus.transition(ws, WorkspaceStatus.FAILED);
                ws.updatedAt = Clock.now();
                ws.updatedBy = Actor.SYSTEM;
                return events.append("workspace.provisioning_failed", Actor.SYSTEM, null,
                        new EventLog.Subject(ws.organizationId, ws.id, "workspace", ws.id), null,
                        java.util.Map.of("status", ws.status, "error", reason)).replaceWithVoid();
            });
        }));
    }

    /** Runs whose kick was lost (a crash between commit and kick) are picked up here. */
    @Scheduled(every = "${atrium.provisioning.sweep-every:10s}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> sweep() {
        return runDue(java.time.Duration.ofSeconds(5)).replaceWithVoid();
    }

    /**
     * Executes up to 50 pending runs older than {@code minAge}, one after another, and answers how many it took up.
     * Safe beside any other instance or kick: a run is executed only by whoever moves it from pending to running.
     */
    public Uni<Integer> runDue(java.time.Duration minAge) {
        return Panache.withSession(() -> ProvisioningRun.<ProvisioningRun>find(
                "status = 'pending' and createdAt <= ?1", Clock.now().minus(minAge)).range(0, 49).list())
                .flatMap(runs -> {
                    Uni<Void> chain = Uni.createFrom().voidItem();
                    for (ProvisioningRun run : runs) {
                        chain = chain.chain(() -> execute(run.id).onFailure().recoverWithNull());
                    }
                    return chain.replaceWith(runs.size());
                });
    }

    @WithSession
    public Uni<ProvisioningRunView> get(Caller caller, String runId) {
        cells.requireLocal(runId, "run", caller.pathAndQuery());
        return ProvisioningRun.<ProvisioningRun>findById(runId).flatMap(run -> {
            if (run == null) {
                return Uni.createFrom().failure(ApiException.notFound());
            }
            return access.workspace(caller, run.workspaceId, Permission.RUNS_READ)
                    .chain(() -> ProvisioningStep.<ProvisioningStep>list("runId = ?1 order by position", runId))
                    .map(steps -> new ProvisioningRunView("provisioning_run", run.id, run.workspaceId, run.kind,
                            run.status, run.error, run.createdAt, run.startedAt, run.finishedAt,
                            steps.stream().map(s -> new ProvisioningRunView.Step(s.position, s.name, s.status,
                                    s.attempts, s.startedAt, s.finishedAt, s.lastError)).toList()));
        });
    }

    @WithSession
    public Uni<List<EnvironmentView>> environments(Caller caller, String workspaceId) {
        return access.workspace(caller, workspaceId, Permission.ENVIRONMENTS_READ)
                .chain(() -> Environment.<Environment>list("workspaceId = ?1 order by createdAt, name", workspaceId))
                .map(envs -> envs.stream().map(e -> new EnvironmentView("environment", e.id, e.workspaceId, e.name,
                        e.status, e.createdAt)).toList());
    }
}
