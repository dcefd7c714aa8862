package dev.atrium.provisioning;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import dev.atrium.cell.Cells;
import dev.atrium.common.db.Rows;
import dev.atrium.common.db.SessionSql;
import dev.atrium.common.db.Tx;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.time.Clock;
import dev.atrium.common.trace.Traces;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;

/**
 * Executes provisioning runs: a durable saga whose runs and steps are rows. What a run does is its {@link RunKind}'s
 * business (registered by the domain it provisions); the engine claims, drives, retries and compensates.
 *
 * <p>
 * <b>Claiming.</b> Every instance's worker (and the kick after a create, and a round of chores mode)
 * claims due runs in one short transaction: {@code SELECT … FOR UPDATE SKIP LOCKED} picks runs that are due and not
 * leased (or whose lease expired, i.e. their instance died), and the same statement writes this instance as the
 * lease owner. Two instances never hold the same run: the row lock serialises the claim and the lease excludes the
 * other for its duration.
 *
 * <p>
 * <b>Executing.</b> Steps run one at a time, outside the claiming transaction. A local step does its work and records
 * its success in one transaction that first renews the lease ({@link #guard}); a worker that lost its lease (it
 * stalled past the lease and another instance took over) finds the guard failing and its work rolled back, so a local
 * step's effect commits exactly once. An external step calls another system: it records the attempt, calls with
 * the step's idempotency key, and records the result; a crash in between repeats the call with the same key, which
 * the other system recognises.
 *
 * <p>
 * <b>Inline.</b> A caller that waits for a run whose steps are all local may instead run it to its end in the
 * transaction that planned it ({@link #runInline}): nobody else can see the run before that commit, so it needs no
 * claim or lease, and the run, its steps and what they did commit together with what planned them.
 *
 * <p>
 * <b>Failing.</b> A failed attempt is recorded with its error and the run is due again after an exponential backoff
 * with jitter; after {@code max-attempts} (or at once for a permanent error) a run whose kind compensates undoes
 * its completed steps in reverse order, then fails with the reason ({@link RunKind#gaveUp}); other kinds stop as
 * failed at once. An administrator can retry a failed run.
 */
@ApplicationScoped
public class SagaEngine {

    private static final Logger LOG = Logger.getLogger(SagaEngine.class);

    /** Raised inside a step transaction when this instance no longer holds the run's lease. */
    static final class LeaseLost extends RuntimeException {
        LeaseLost(String runId) {
            super("lease on run " + runId + " lost", null, false, false);
        }
    }

    private static final String CLAIM = """
            with due as (
                select id, status from provisioning_runs
                 where status in ('pending', 'running', 'compensating')
                   and next_attempt_at <= now()
                   and (lease_until is null or lease_until < now())
                   and ($4::text is null or id = $4)
                 order by next_attempt_at
                 limit $3
                 for update skip locked)
            update provisioning_runs r
               set lease_owner = $1,
                   lease_until = now() + make_interval(secs => $2::float8),
                   status = case when r.status = 'pending' then 'running' else r.status end,
                   started_at = coalesce(r.started_at, now()),
                   updated_at = now()
              from due
             where r.id = due.id
            returning r.id, r.kind, due.status as previous""";

    private final String owner = ManagementFactory.getRuntimeMXBean().getName() + "/"
            + UUID.randomUUID().toString().substring(0, 8);
    private final SagaConfig config;
    private final Pool pool;
    private final Cells cells;
    private final Map<String, RunKind> kinds = new java.util.HashMap<>();
    private final Vertx vertx;
    private final MeterRegistry metrics;
    private final RunWaiters waiters;
    private final Traces traces;
    private final AtomicLong oldestDueSeconds = new AtomicLong();
    /** Set on shutdown: no new claims. Runs in flight keep their lease until it runs out; another instance resumes. */
    private volatile boolean stopping;

    public SagaEngine(SagaConfig config, Pool pool, Cells cells, Instance<RunKind> kinds, Vertx vertx,
            MeterRegistry metrics, RunWaiters waiters, Traces traces) {
        this.waiters = waiters;
        this.traces = traces;
        this.config = config;
        this.pool = pool;
        this.cells = cells;
        this.vertx = vertx;
        this.metrics = metrics;
        metrics.gauge("atrium.provisioning.oldest.due.seconds", oldestDueSeconds);
        for (RunKind kind : kinds) {
            this.kinds.put(kind.name(), kind);
            for (RunStep step : kind.steps()) {
                if (config.lease().compareTo(step.timeout().multipliedBy(2)) <= 0) {
                    throw new IllegalArgumentException("atrium.provisioning.lease (" + config.lease()
                            + ") must be longer than twice the timeout of step " + kind.name() + "/" + step.name()
                            + " (" + step.timeout() + ")");
                }
            }
        }
    }

    private RunKind kind(String name) {
        RunKind kind = kinds.get(name);
        if (kind == null) {
            throw new IllegalStateException("no run kind " + name + " is registered");
        }
        return kind;
    }

    // ---------------------------------------------------------------- planning

    /** Plans a run of {@code kind} for the workspace {@code workspaceId}; {@link #persist} writes it. */
    public Planned plan(String kind, String workspaceId) {
        ProvisioningRun run = new ProvisioningRun();
        run.id = cells.newId("run");
        run.workspaceId = workspaceId;
        run.kind = kind;
        run.status = RunStatus.PENDING.wire();
        run.createdAt = Clock.now();
        run.updatedAt = run.createdAt;
        run.nextAttemptAt = run.createdAt;
        run.traceparent = Traces.currentTraceparent();
        List<RunStep> names = kind(kind).steps();
        List<ProvisioningStep> steps = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            ProvisioningStep step = new ProvisioningStep();
            step.runId = run.id;
            step.position = i + 1;
            step.name = names.get(i).name();
            step.status = StepStatus.PENDING.wire();
            step.idempotencyKey = run.id + ":" + step.name;
            steps.add(step);
        }
        return new Planned(run, steps);
    }

    public record Planned(ProvisioningRun run, List<ProvisioningStep> steps) {
    }

    /**
     * A run and its steps, one statement. The steps' rows refer to the run's, which the statement's first part
     * inserts: PostgreSQL checks that reference at the statement's end, when the run's row is there.
     */
    private static final String INSERT_RUN = """
            with run as (
                insert into provisioning_runs (id, workspace_id, kind, status, created_at, started_at, finished_at,
                                               next_attempt_at, retries, updated_at, traceparent)
                values ($1, $2, $3, $4, $5, $6, $7, $5, 0, $8, $9)
                returning id)
            insert into provisioning_steps (run_id, position, name, status, attempts, started_at, finished_at,
                                            idempotency_key)
            select run.id, s.position, s.name, s.status, $10, $6, $7, s.key
              from run, unnest(cast($11 as text[]), cast($12 as text[]), cast($13 as text[]))
                        with ordinality as s(name, status, key, position)""";

    /**
     * Writes a planned run and its steps, pending, in the caller's transaction: one statement, after the session's
     * flush has written the workspace it belongs to.
     */
    public Uni<Void> persist(Planned planned) {
        List<String> pending = planned.steps().stream().map(step -> step.status).toList();
        return Panache.getSession().chain(s -> s.flush().chain(() -> insert(s, planned, pending, null, null)));
    }

    /**
     * The run of {@code planned} and its steps: the run in its status at {@code finished} (pending when that is
     * {@code null}), each step in its status of {@code statuses}, attempted once between {@code started} and
     * {@code finished} when the run has finished.
     */
    private static Uni<Void> insert(Mutiny.Session s, Planned planned, List<String> statuses, Instant started,
            Instant finished) {
        ProvisioningRun run = planned.run();
        return SessionSql.update(s, INSERT_RUN, run.id, run.workspaceId, run.kind,
                finished == null ? run.status : RunStatus.SUCCEEDED.wire(), SessionSql.at(run.createdAt),
                SessionSql.at(started), SessionSql.at(finished),
                SessionSql.at(finished == null ? run.updatedAt : finished), run.traceparent,
                finished == null ? 0 : 1,
                planned.steps().stream().map(step -> step.name).toArray(String[]::new),
                statuses.toArray(String[]::new),
                planned.steps().stream().map(step -> step.idempotencyKey).toArray(String[]::new))
                .replaceWithVoid();
    }

    // ---------------------------------------------------------------- inline

    /** Whether every step of {@code kind} works inside the database at present, so a run of it can {@link #runInline}. */
    public boolean allLocal(String kind) {
        return kind(kind).steps().stream().noneMatch(RunStep::external);
    }

    /**
     * Runs a planned run to its end in the caller's transaction, instead of {@link #persist}, for a caller that waits
     * for it and whose kind has no external step ({@link #allLocal}): the steps' work, then the run and its steps as
     * they ended (one statement), commit with whatever planned the run, or not at all. There is no claim and no lease:
     * until that commit no other transaction sees the run. A failing step fails the caller's transaction; nothing of
     * the run remains to retry.
     */
    public Uni<Void> runInline(Planned planned) {
        ProvisioningRun run = planned.run();
        RunKind kind = kind(run.kind);
        Instant started = Clock.now();
        List<String> statuses = new ArrayList<>();
        List<Runnable> timings = new ArrayList<>();
        // The steps' native statements read and refer to rows the caller's session may not have written yet.
        Uni<Void> work = Panache.getSession().chain(s -> s.flush());
        for (ProvisioningStep step : planned.steps()) {
            work = work.chain(() -> {
                Timer.Sample timing = Timer.start(metrics);
                return traced(run, step, "step", () -> kind.step(step.name).run(run, step))
                        .onFailure().invoke(() -> timing.stop(stepTimer(run.kind, step.name, StepStatus.FAILED.wire())))
                        .invoke(status -> {
                            statuses.add(status.wire());
                            timings.add(() -> timing.stop(stepTimer(run.kind, step.name, status.wire())));
                        })
                        .replaceWithVoid();
            });
        }
        // The run is written once, as it ended: no other transaction sees it before this one commits, so it is
        // never seen pending, nobody waits for it and its end notifies no one.
        return work.chain(() -> Panache.getSession())
                .chain(s -> insert(s, planned, statuses, started, Clock.now()))
                .invoke(() -> Tx.afterCommit(() -> {
                    runs(run.kind, "started").increment();
                    timings.forEach(Runnable::run);
                    runs(run.kind, RunStatus.SUCCEEDED.wire()).increment();
                }));
    }

    // ---------------------------------------------------------------- claiming

    /** Starts a run at once on a fresh context, detached from the request that created it. */
    public void kick(String runId) {
        onFreshContext(() -> claim(runId, 1).flatMap(this::driveAll).replaceWithVoid());
    }

    /**
     * Claims up to a batch of due runs (new, retrying, or abandoned by a dead instance) and drives each; answers
     * how many it took. Safe beside any other instance: a run is driven only by its lease holder.
     */
    public Uni<Integer> runDue() {
        return claim(null, config.batch()).flatMap(ids -> driveAll(ids).replaceWith(ids.size()))
                .call(this::refreshOldestDue);
    }

    @Scheduled(every = "${atrium.provisioning.worker-every:2s}", delayed = "3s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> worker() {
        return runDue().onFailure().recoverWithItem(t -> {
            LOG.warnf("provisioning worker tick failed: %s", t.toString());
            return 0;
        }).replaceWithVoid();
    }

    void onStop(@jakarta.enterprise.event.Observes io.quarkus.runtime.ShutdownEvent event) {
        stopping = true;
    }

    private Uni<List<String>> claim(String runId, int limit) {
        if (stopping) {
            return Uni.createFrom().item(List.of());
        }
        return pool.withTransaction(conn -> conn.preparedQuery(CLAIM).execute(Tuple.tuple()
                .addString(owner).addDouble(config.lease().toMillis() / 1000.0).addInteger(limit).addString(runId)))
                .map(rows -> {
                    List<String> ids = new ArrayList<>();
                    for (Row row : rows) {
                        ids.add(row.getString("id"));
                        if ("pending".equals(row.getString("previous"))) {
                            runs(row.getString("kind"), "started").increment();
                        } else {
                            LOG.infof("provisioning run %s taken up again (%s)", row.getString("id"),
                                    row.getString("previous"));
                        }
                    }
                    return ids;
                });
    }

    /**
     * Drives the claimed runs side by side, each on a context of its own (a Hibernate Reactive session belongs to
     * one context), so one run waiting on a slow external system does not hold up the others. Completes, on the caller's
     * context, when all have stopped.
     */
    private Uni<Void> driveAll(List<String> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Context caller = Vertx.currentContext();
        List<Uni<Void>> drives = new ArrayList<>();
        for (String id : ids) {
            drives.add(Uni.createFrom().emitter(done -> onFreshContext(() -> drive(id)
                    .onFailure().invoke(t -> LOG.warnf("provisioning run %s stopped: %s", id, t.toString()))
                    .onFailure().recoverWithNull()
                    .eventually(() -> done.complete(null)))));
        }
        Uni<Void> all = Uni.join().all(drives).andFailFast().replaceWithVoid();
        return caller == null ? all : all.emitOn(r -> caller.runOnContext(v -> r.run()));
    }

    private Uni<Void> refreshOldestDue() {
        return pool.preparedQuery("""
                select coalesce(extract(epoch from now() - min(next_attempt_at)), 0)::bigint as age
                  from provisioning_runs
                 where status in ('pending', 'running', 'compensating') and next_attempt_at <= now()""")
                .execute().invoke(rows -> oldestDueSeconds.set(rows.iterator().next().getLong("age")))
                .replaceWithVoid().onFailure().recoverWithNull();
    }

    @Scheduled(every = "15s", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> gauges() {
        return refreshOldestDue();
    }

    // ---------------------------------------------------------------- driving

    private record State(ProvisioningRun run, List<ProvisioningStep> steps) {
    }

    /** Executes the claimed run step by step until it finishes, waits for a retry, or its lease is lost. */
    Uni<Void> drive(String runId) {
        if (stopping) {
            return none();
        }
        return Panache.withSession(() -> ProvisioningRun.<ProvisioningRun>findById(runId)
                .flatMap(run -> ProvisioningStep.<ProvisioningStep>list("runId = ?1 order by position", runId)
                        .map(steps -> new State(run, steps))))
                .flatMap(state -> {
                    ProvisioningRun run = state.run();
                    if (run == null || run.finished() || !owner.equals(run.leaseOwner)) {
                        return Uni.createFrom().voidItem();
                    }
                    if (RunStatus.COMPENSATING.is(run.status)) {
                        Optional<ProvisioningStep> done = lastSucceeded(state.steps());
                        return done.isEmpty() ? concludeFailed(run)
                                : compensate(run, done.get()).flatMap(more -> more ? drive(runId) : none());
                    }
                    List<ProvisioningStep> left = state.steps().stream().filter(s -> !StepStatus.done(s.status))
                            .toList();
                    if (left.isEmpty()) {
                        return concludeSucceeded(run);
                    }
                    List<ProvisioningStep> locals = new ArrayList<>();
                    for (ProvisioningStep step : left) {
                        if (kind(run.kind).step(step.name).external()) {
                            break;
                        }
                        locals.add(step);
                    }
                    Uni<Boolean> attempt = locals.isEmpty() ? attempt(run, left.get(0))
                            : attemptLocal(run, locals, locals.size() == left.size());
                    return attempt.flatMap(more -> more ? drive(runId) : none());
                });
    }

    /** Compensation undoes the last completed step first. */
    private static Optional<ProvisioningStep> lastSucceeded(List<ProvisioningStep> steps) {
        ProvisioningStep last = null;
        for (ProvisioningStep s : steps) {
            if (StepStatus.SUCCEEDED.is(s.status)) {
                last = s;
            }
        }
        return Optional.ofNullable(last);
    }

    private static Uni<Void> none() {
        return Uni.createFrom().voidItem();
    }

    /** One attempt of one step; answers whether the run can go on at once. */
    private Uni<Boolean> attempt(ProvisioningRun run, ProvisioningStep step) {
        Timer.Sample timing = Timer.start(metrics);
        RunStep definition = kind(run.kind).step(step.name);
        Uni<StepStatus> outcome = traced(run, step, "step", () -> definition.external()
                ? external(run, step, definition)
                : local(run, step, definition));
        return outcome.map(status -> {
            timing.stop(stepTimer(run.kind, step.name, status.wire()));
            return true;
        }).onFailure(LeaseLost.class).recoverWithUni(lost -> {
            LOG.warnf("provisioning run %s: %s; another instance carries on", run.id, lost.getMessage());
            return Uni.createFrom().item(false);
        }).onFailure().recoverWithUni(failure -> {
            timing.stop(stepTimer(run.kind, step.name, StepStatus.FAILED.wire()));
            return recordFailure(run, step, failure);
        });
    }

    /**
     * Consecutive local steps in one transaction: their work and their records commit together, or not at all (a
     * failure is the failing step's attempt; the others are redone with it). When they are the run's last steps the
     * run ends in the same transaction: a run with nothing external costs one commit after its claim.
     */
    private Uni<Boolean> attemptLocal(ProvisioningRun run, List<ProvisioningStep> steps, boolean lastOfRun) {
        ProvisioningStep[] current = new ProvisioningStep[1];
        Timer.Sample[] currentTiming = new Timer.Sample[1];
        List<Runnable> timings = new ArrayList<>();
        var started = Clock.now();
        List<Integer> positions = new ArrayList<>();
        List<String> statuses = new ArrayList<>();
        return Panache.withTransaction(() -> {
            Uni<Void> work = guard(run.id);
            for (ProvisioningStep step : steps) {
                work = work.chain(() -> {
                    current[0] = step;
                    Timer.Sample timing = Timer.start(metrics);
                    currentTiming[0] = timing;
                    return traced(run, step, "step", () -> kind(run.kind).step(step.name).run(run, step))
                            .invoke(status -> {
                                positions.add(step.position);
                                statuses.add(status.wire());
                                timings.add(() -> timing.stop(stepTimer(run.kind, step.name, status.wire())));
                            })
                            .replaceWithVoid();
                });
            }
            return work.chain(() -> recordDone(run.id, positions, statuses, started, lastOfRun));
        }).map(v -> {
            timings.forEach(Runnable::run);
            if (lastOfRun) {
                waiters.wake(run.id);
                runs(run.kind, RunStatus.SUCCEEDED.wire()).increment();
                return false;
            }
            return true;
        })
                .onFailure(LeaseLost.class).recoverWithUni(lost -> {
                    LOG.warnf("provisioning run %s: %s; another instance carries on", run.id, lost.getMessage());
                    return Uni.createFrom().item(false);
                })
                .onFailure().recoverWithUni(failure -> {
                    ProvisioningStep failed = current[0] == null ? steps.get(0) : current[0];
                    if (currentTiming[0] != null) {
                        currentTiming[0].stop(stepTimer(run.kind, failed.name, StepStatus.FAILED.wire()));
                    }
                    return recordFailure(run, failed, failure);
                });
    }

    /** A step done inside the database: its work and its record commit together, or not at all. */
    private Uni<StepStatus> local(ProvisioningRun run, ProvisioningStep step, RunStep definition) {
        var started = Clock.now();
        return Panache.withTransaction(() -> guard(run.id)
                .chain(() -> definition.run(run, step))
                .flatMap(status -> record(run.id, step.position, status, 1, started, null).replaceWith(status)));
    }

    /** A step that calls another system: record the attempt, call outside any transaction, record the result. */
    private Uni<StepStatus> external(ProvisioningRun run, ProvisioningStep step, RunStep definition) {
        var started = Clock.now();
        Context context = Vertx.currentContext();
        return Panache.withTransaction(() -> guard(run.id)
                .chain(() -> record(run.id, step.position, StepStatus.RUNNING, 1, started, null)))
                .chain(() -> definition.run(run, step).emitOn(r -> context.runOnContext(v -> r.run())))
                .chain(status -> Panache.withTransaction(() -> guard(run.id)
                        .chain(() -> record(run.id, step.position, status, 0, started, null)))
                        .replaceWith(status));
    }

    /**
     * Renews this instance's lease on the run, in the caller's transaction, or fails with {@link LeaseLost}. The
     * updated row stays locked until the transaction ends, so no claim can take the run in between.
     */
    private Uni<Void> guard(String runId) {
        return Panache.getSession().chain(s -> s.createNativeQuery("""
                update provisioning_runs set lease_until = now() + make_interval(secs => cast(:lease as float8)),
                       updated_at = now()
                 where id = :id and lease_owner = :owner and lease_until > now()""")
                .setParameter("lease", config.lease().toMillis() / 1000.0).setParameter("id", runId)
                .setParameter("owner", owner).executeUpdate())
                .map(count -> {
                    if (count == 0) {
                        throw new LeaseLost(runId);
                    }
                    return null;
                });
    }

    private static final String STEPS_DONE = """
            update provisioning_steps p
               set status = d.status, attempts = p.attempts + 1, started_at = :started, finished_at = :finished,
                   last_error = null
              from unnest(cast(:positions as int[]), cast(:statuses as text[])) as d(position, status)
             where p.run_id = :run and p.position = d.position""";

    /**
     * Records steps done in one attempt each (statuses succeeded or skipped) and, when they were the run's last
     * ({@code endsRun}), ends the run as succeeded ({@link #finish}, noting {@code started} as its start unless a
     * claim noted one), which notifies every instance's waiters: one statement either way, a round trip less on every
     * run that ends with local steps.
     */
    private Uni<Void> recordDone(String runId, List<Integer> positions, List<String> statuses, Instant started,
            boolean endsRun) {
        Instant finished = Clock.now();
        return Panache.getSession().chain(s -> {
            var query = endsRun
                    ? s.createNativeQuery("with done as (" + STEPS_DONE + "), " + ENDED + NOTIFY_ENDED)
                            .setParameter("channel", RunWaiters.CHANNEL)
                            .setParameter("status", RunStatus.SUCCEEDED.wire()).setParameter("error", null)
                    : s.createNativeQuery(STEPS_DONE);
            query.setParameter("positions", positions.toArray(Integer[]::new))
                    .setParameter("statuses", statuses.toArray(String[]::new)).setParameter("started", started)
                    .setParameter("finished", finished).setParameter("run", runId);
            return Rows.count(query);
        }).replaceWithVoid();
    }

    private Uni<Void> record(String runId, int position, StepStatus status, int attempts, Instant started,
            String error) {
        boolean finished = status != StepStatus.RUNNING && status != StepStatus.PENDING;
        return Panache.getSession().chain(s -> s.createNativeQuery("""
                update provisioning_steps
                   set status = :status, attempts = attempts + :attempts, started_at = :started,
                       finished_at = :finished, last_error = :error
                 where run_id = :run and position = :position""")
                .setParameter("status", status.wire()).setParameter("attempts", attempts).setParameter("started", started)
                .setParameter("finished", finished ? Clock.now() : null).setParameter("error", error)
                .setParameter("run", runId).setParameter("position", position).executeUpdate())
                .replaceWithVoid();
    }

    // ---------------------------------------------------------------- failing

    /** Records a failed attempt; answers whether the run goes on at once (to compensate). */
    private Uni<Boolean> recordFailure(ProvisioningRun run, ProvisioningStep step, Throwable failure) {
        String error = describe(failure);
        // A refusal of the service's own rules (the status machine) cannot be helped by trying again.
        boolean retryable = failure instanceof StepFailure f ? f.retryable() : !(failure instanceof ApiException);
        boolean compensates = kind(run.kind).compensates();
        int attempts = step.attempts + 1;
        boolean giveUp = !retryable || attempts >= config.maxAttempts();
        LOG.warnf("provisioning run %s step %s attempt %d failed%s: %s", run.id, step.name, attempts,
                giveUp ? " for good" : ", will retry", detail(failure));
        Duration delay = backoff(attempts);
        return Panache.withTransaction(() -> guard(run.id)
                .chain(() -> Panache.getSession().chain(s -> s.createNativeQuery("""
                        update provisioning_steps
                           set status = :status, attempts = :attempts, finished_at = :now, last_error = :error
                         where run_id = :run and position = :position""")
                        .setParameter("status", (giveUp ? StepStatus.FAILED : StepStatus.PENDING).wire())
                        .setParameter("attempts", attempts)
                        .setParameter("now", Clock.now()).setParameter("error", error).setParameter("run", run.id)
                        .setParameter("position", step.position).executeUpdate()))
                .chain(() -> {
                    if (!giveUp) {
                        return reschedule(run.id, delay, null);
                    }
                    String reason = "step '" + step.name + "' failed: " + error;
                    if (compensates) {
                        return Panache.getSession().chain(s -> s.createNativeQuery("""
                                update provisioning_runs set status = :status, error = :error,
                                       updated_at = now() where id = :id""")
                                .setParameter("status", RunStatus.COMPENSATING.wire())
                                .setParameter("error", reason).setParameter("id", run.id).executeUpdate())
                                .replaceWithVoid();
                    }
                    return kind(run.kind).gaveUp(run).chain(() -> finish(run.id, RunStatus.FAILED, reason));
                }))
                .map(v -> {
                    if (!giveUp) {
                        rekick(run.id, delay);
                        return false;
                    }
                    if (!compensates) {
                        waiters.wake(run.id);
                        runs(run.kind, RunStatus.FAILED.wire()).increment();
                    }
                    return compensates;
                })
                .onFailure().recoverWithUni(t -> {
                    // The database may be gone too: the lease runs out and the run is taken up again.
                    LOG.warnf("provisioning run %s: failure of step %s not recorded (%s)", run.id, step.name,
                            t.toString());
                    return Uni.createFrom().item(false);
                });
    }

    /** Undoes one completed step of a run that gave up; answers whether the run goes on at once. */
    private Uni<Boolean> compensate(ProvisioningRun run, ProvisioningStep step) {
        Context context = Vertx.currentContext();
        RunStep definition = kind(run.kind).step(step.name);
        boolean external = definition.external();
        Uni<Void> outside = external
                ? definition.compensate(run, step).emitOn(r -> context.runOnContext(v -> r.run()))
                : Uni.createFrom().voidItem();
        return traced(run, step, "compensation", () -> outside.chain(() -> Panache.withTransaction(() -> guard(run.id)
                .chain(() -> external ? Uni.createFrom().voidItem() : definition.compensate(run, step))
                .chain(() -> Panache.getSession().chain(s -> s.createNativeQuery(
                        "update provisioning_steps set status = :status, finished_at = :now"
                                + " where run_id = :run and position = :position")
                        .setParameter("status", StepStatus.COMPENSATED.wire())
                        .setParameter("now", Clock.now()).setParameter("run", run.id)
                        .setParameter("position", step.position).executeUpdate())))))
                .replaceWith(true)
                .onFailure(LeaseLost.class).recoverWithItem(false)
                .onFailure().recoverWithUni(failure -> {
                    // Compensations must eventually happen: they are retried with backoff, without a limit.
                    Duration delay = backoff(config.maxAttempts());
                    LOG.warnf("provisioning run %s: compensation of %s failed, will retry: %s", run.id, step.name,
                            detail(failure));
                    return Panache.withTransaction(() -> guard(run.id)
                            .chain(() -> reschedule(run.id, delay, null)))
                            .invoke(() -> rekick(run.id, delay))
                            .replaceWith(false).onFailure().recoverWithItem(false);
                });
    }

    private Uni<Void> concludeFailed(ProvisioningRun run) {
        return Panache.withTransaction(() -> guard(run.id)
                .chain(() -> kind(run.kind).gaveUp(run))
                .chain(() -> finish(run.id, RunStatus.FAILED, run.error)))
                .invoke(() -> waiters.wake(run.id))
                .invoke(() -> runs(run.kind, RunStatus.FAILED.wire()).increment())
                .onFailure(LeaseLost.class).recoverWithNull();
    }

    private Uni<Void> concludeSucceeded(ProvisioningRun run) {
        return Panache.withTransaction(() -> guard(run.id).chain(() -> finish(run.id, RunStatus.SUCCEEDED, null)))
                .invoke(() -> waiters.wake(run.id))
                .invoke(() -> runs(run.kind, RunStatus.SUCCEEDED.wire()).increment())
                .onFailure(LeaseLost.class).recoverWithNull();
    }

    /** Ends the run; its commit notifies every instance's waiters ({@link RunWaiters}). */
    private Uni<Void> finish(String runId, RunStatus status, String error) {
        return finish(runId, status, error, Clock.now());
    }

    /** The run's end ({@code :status}, {@code :error} at {@code :finished}), as a CTE answering the run's id. */
    private static final String ENDED = """
            ended as (
                update provisioning_runs set status = :status, error = :error, finished_at = :finished,
                       started_at = coalesce(started_at, :started), updated_at = :finished, lease_owner = null,
                       lease_until = null
                 where id = :run returning id)""";

    /** Tells every instance's waiters that the run {@link #ENDED} ended. */
    private static final String NOTIFY_ENDED = " select cast(pg_notify(:channel, id) as text) from ended";

    /** Ends the run, noting {@code started} as its start unless a claim noted one. */
    private Uni<Void> finish(String runId, RunStatus status, String error, Instant started) {
        return Panache.getSession().chain(s -> Rows.count(s.createNativeQuery(
                "with " + ENDED + NOTIFY_ENDED)
                .setParameter("status", status.wire()).setParameter("error", error).setParameter("finished", Clock.now())
                .setParameter("started", started)
                .setParameter("run", runId).setParameter("channel", RunWaiters.CHANNEL)))
                .replaceWithVoid();
    }

    /**
     * Puts a failed run back to pending from its first unfinished step (a compensated run starts over), in the
     * caller's transaction; its kind moves what it provisions back too. {@link #kick} it after the commit.
     */
    public Uni<Void> restart(ProvisioningRun run, dev.atrium.common.security.Caller caller) {
        if (!RunStatus.FAILED.is(run.status)) {
            throw new ApiException(409, "invalid_state_transition",
                    "Only a failed run can be retried; this one is " + run.status + ".")
                    .extension("current_status", run.status);
        }
        return kind(run.kind).retried(run, caller).chain(() -> Panache.getSession().chain(s -> s.createNativeQuery("""
                update provisioning_steps
                   set status = :pending, attempts = 0, last_error = null, started_at = null, finished_at = null
                 where run_id = :run and status not in (:succeeded, :skipped)""")
                .setParameter("pending", StepStatus.PENDING.wire()).setParameter("succeeded", StepStatus.SUCCEEDED.wire())
                .setParameter("skipped", StepStatus.SKIPPED.wire()).setParameter("run", run.id).executeUpdate()))
                .invoke(() -> {
                    run.status = RunStatus.PENDING.wire();
                    run.traceparent = Traces.currentTraceparent();
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

    /** Releases the lease and makes the run due again after {@code delay}. */
    private Uni<Void> reschedule(String runId, Duration delay, String error) {
        return Panache.getSession().chain(s -> s.createNativeQuery("""
                update provisioning_runs
                   set next_attempt_at = now() + make_interval(secs => cast(:delay as float8)),
                       lease_owner = null, lease_until = null, updated_at = now()
                 where id = :id""")
                .setParameter("delay", delay.toMillis() / 1000.0).setParameter("id", runId).executeUpdate())
                .replaceWithVoid();
    }

    /**
     * Exponential backoff with "equal jitter": half of {@code base·2^(attempt-1)} (capped) plus a random share of the
     * other half, so retries of many runs failing together spread out instead of arriving in waves.
     */
    Duration backoff(int attempt) {
        return backoff(attempt, config.backoffBase(), config.backoffMax(), ThreadLocalRandom.current().nextDouble());
    }

    /** The delay before attempt {@code attempt + 1}; {@code share} (0 to 1) picks where in its upper half it falls. */
    static Duration backoff(int attempt, Duration base, Duration cap, double share) {
        long exp = Math.min(cap.toMillis(), base.toMillis() * (1L << Math.min(20, Math.max(0, attempt - 1))));
        long half = exp / 2;
        return Duration.ofMillis(half + Math.round(share * half));
    }

    /** Takes the run up again in this instance when it is due (the worker would too, a little later). */
    private void rekick(String runId, Duration delay) {
        vertx.setTimer(Math.max(1, delay.toMillis() + 20), id -> kick(runId));
    }

    /**
     * What a run shows of a failure to whoever can read the workspace: a stable code and a sentence, never an
     * internal address or a database message ({@link #detail} goes to the log).
     */
    static String describe(Throwable failure) {
        if (failure instanceof StepFailure || failure instanceof ApiException) {
            String message = failure instanceof ApiException api ? api.code() + ": " + api.getMessage()
                    : failure.getMessage();
            return message.length() > 500 ? message.substring(0, 500) : message;
        }
        return "internal_error: the step failed inside the service; its log has the details";
    }

    private static String detail(Throwable failure) {
        return failure instanceof StepFailure f ? f.getMessage() + " (" + f.detail() + ")" : failure.toString();
    }

    private void onFreshContext(java.util.function.Supplier<Uni<? extends Void>> work) {
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        VertxContextSafetyToggle.setContextSafe(context, true);
        context.runOnContext(v -> Uni.createFrom().deferred(work).subscribe().with(
                ok -> {
                },
                failure -> LOG.errorf(failure, "provisioning work failed")));
    }

    /**
     * One attempt of a step (or its compensation) as a span in the trace of the request that created or retried the
     * run ({@link ProvisioningRun#traceparent}); its SQL and its calls to the dataplane are the span's children.
     */
    private <T> Uni<T> traced(ProvisioningRun run, ProvisioningStep step, String what,
            java.util.function.Supplier<Uni<T>> work) {
        return traces.inSpan("provisioning " + what + " " + run.kind + "/" + step.name, run.traceparent,
                Map.of("atrium.run.id", run.id, "atrium.run.kind", run.kind, "atrium.step", step.name,
                        "atrium.workspace.id", run.workspaceId, "atrium.step.attempt",
                        String.valueOf(step.attempts + 1)),
                work);
    }

    private io.micrometer.core.instrument.Counter runs(String kind, String outcome) {
        return metrics.counter("atrium.provisioning.runs", "kind", kind, "outcome", outcome);
    }

    private Timer stepTimer(String kind, String step, String outcome) {
        return Timer.builder("atrium.provisioning.step.duration").tag("kind", kind).tag("step", step)
                .tag("outcome", outcome).publishPercentileHistogram().register(metrics);
    }
}
