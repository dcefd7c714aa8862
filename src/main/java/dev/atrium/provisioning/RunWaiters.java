package dev.atrium.provisioning;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgConnection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Requests waiting for a provisioning run to finish ({@code Prefer: wait}) cost no queries while they wait. A run's
 * last transaction sends {@code NOTIFY atrium_run_finished} with the run id (unless it also created the run: then
 * no one else has seen the run); each instance listens on one connection of its own and wakes the requests waiting
 * for that run, whichever instance drove it. The engine also wakes local waiters directly after that commit. While
 * the listening connection is being re-established, waiters fall back to reading the run's status once a second.
 */
@ApplicationScoped
public class RunWaiters {

    static final String CHANNEL = "atrium_run_finished";
    private static final Logger LOG = Logger.getLogger(RunWaiters.class);
    private static final Duration FALLBACK_POLL = Duration.ofSeconds(1);
    private static final Duration RECONNECT_AFTER = Duration.ofSeconds(1);

    private final Pool pool;
    private final Vertx vertx;
    private final Counter reads;
    private final Map<String, List<CompletableFuture<Void>>> waiting = new ConcurrentHashMap<>();
    private volatile SqlConnection listener;
    private volatile boolean stopped;

    public RunWaiters(Pool pool, Vertx vertx, MeterRegistry metrics) {
        this.pool = pool;
        this.vertx = vertx;
        this.reads = Counter.builder("atrium.provisioning.wait.reads")
                .description("Status reads by requests waiting for a provisioning run (Prefer: wait)")
                .register(metrics);
    }

    void start(@Observes StartupEvent event) {
        listen();
    }

    void stop(@Observes ShutdownEvent event) {
        stopped = true;
        SqlConnection connection = listener;
        listener = null;
        if (connection != null) {
            connection.closeAndForget();
        }
    }

    /** {@code true} while notifications arrive: waiters need not read the run's status until they are woken. */
    boolean listening() {
        return listener != null;
    }

    /**
     * Waits until run {@code runId} has finished or {@code deadline} has passed, and answers its status then
     * ({@code null} for a run that does not exist). The continuation runs on the caller's Vert.x context.
     */
    public Uni<String> awaitFinished(String runId, Instant deadline) {
        Context context = Vertx.currentContext();
        return await(runId, deadline).emitOn(r -> {
            if (context == null) {
                r.run();
            } else {
                context.runOnContext(v -> r.run());
            }
        });
    }

    private Uni<String> await(String runId, Instant deadline) {
        CompletableFuture<Void> signal = new CompletableFuture<>();
        waiting.computeIfAbsent(runId, id -> new CopyOnWriteArrayList<>()).add(signal);
        // Registered before reading the status: a run finishing in between wakes this waiter.
        return status(runId).chain(status -> {
            Duration left = Duration.between(Instant.now(), deadline);
            if (status == null || finished(status) || left.isNegative() || left.isZero()) {
                return Uni.createFrom().item(status);
            }
            Duration nap = listening() ? left : (left.compareTo(FALLBACK_POLL) < 0 ? left : FALLBACK_POLL);
            return Uni.createFrom().completionStage(signal).ifNoItem().after(nap).recoverWithItem((Void) null)
                    .chain(() -> {
                        forget(runId, signal);
                        return await(runId, deadline);
                    });
        }).eventually(() -> forget(runId, signal));
    }

    /** Wakes the local requests waiting for {@code runId}. */
    public void wake(String runId) {
        List<CompletableFuture<Void>> signals = waiting.remove(runId);
        if (signals != null) {
            signals.forEach(s -> s.complete(null));
        }
    }

    static boolean finished(String status) {
        return "succeeded".equals(status) || "failed".equals(status);
    }

    private Uni<String> status(String runId) {
        reads.increment();
        return pool.preparedQuery("select status from provisioning_runs where id = $1").execute(Tuple.of(runId))
                .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0));
    }

    private void forget(String runId, CompletableFuture<Void> signal) {
        waiting.computeIfPresent(runId, (id, signals) -> {
            signals.remove(signal);
            return signals.isEmpty() ? null : signals;
        });
    }

    private void listen() {
        if (stopped) {
            return;
        }
        pool.getConnection().chain(connection -> {
            PgConnection pg = PgConnection.cast(connection.getDelegate());
            pg.notificationHandler(n -> {
                if (CHANNEL.equals(n.getChannel())) {
                    wake(n.getPayload());
                }
            });
            pg.closeHandler(v -> {
                listener = null;
                wakeAll(); // waiters fall back to reading the status until notifications flow again
                if (!stopped) {
                    LOG.warn("the connection listening for finished provisioning runs closed; reconnecting");
                    vertx.setTimer(RECONNECT_AFTER.toMillis(), id -> listen());
                }
            });
            return connection.query("LISTEN " + CHANNEL).execute().invoke(() -> listener = connection)
                    .onFailure().call(connection::close);
        }).subscribe().with(ok -> {
        }, failure -> {
            if (!stopped) {
                LOG.warnf("cannot listen for finished provisioning runs yet (%s); retrying", failure.toString());
                vertx.setTimer(RECONNECT_AFTER.toMillis(), id -> listen());
            }
        });
    }

    private void wakeAll() {
        waiting.keySet().forEach(this::wake);
    }
}
