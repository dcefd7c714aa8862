package dev.atrium.usage;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import dev.atrium.common.db.Shield;
import dev.atrium.common.lifecycle.FinalWrite;
import dev.atrium.common.time.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;
import jakarta.enterprise.event.Observes;

/**
 * API calls per workspace and UTC day, counted in memory and added to {@code workspace_usage} in batches: a request
 * costs a map update, never a database write. A flush subtracts from memory only what a committed upsert added, so a
 * failed flush keeps its counts for the next one and nothing is counted twice. Readers combine the table and memory
 * under a sequence lock on flushes, so they see every call counted so far, exactly once, even while a flush runs.
 */
// A singleton: on every request's path, called directly rather than through a client proxy.
@Singleton
public class UsageCounter {

    private static final Logger LOG = Logger.getLogger(UsageCounter.class);
    private static final int BATCH = 1000;
    private static final int READ_ATTEMPTS = 5;
    private static final long EARLY_FLUSH_SPACING_NANOS = 1_000_000_000L;
    private static final String UPSERT = "insert into workspace_usage (workspace_id, day, api_calls)"
            + " select v.workspace_id, v.day, v.calls"
            + " from unnest($1::text[], $2::date[], $3::bigint[]) as v (workspace_id, day, calls)"
            // Ids of workspaces purged (or never created here) are dropped rather than failing the batch.
            + " where exists (select 1 from workspaces w where w.id = v.workspace_id)"
            + " on conflict (workspace_id, day) do update set api_calls = workspace_usage.api_calls + excluded.api_calls";

    record Key(String workspaceId, LocalDate day) {
    }

    private final ConcurrentHashMap<Key, LongAdder> pending = new ConcurrentHashMap<>();
    /** Odd while a flush moves counts from memory to the table. */
    private final AtomicLong epoch = new AtomicLong();
    private final AtomicReference<CompletableFuture<Void>> running = new AtomicReference<>();
    private final AtomicLong nextEarlyFlush = new AtomicLong(System.nanoTime());
    private final Pool pool;
    private final int maxKeys;
    private final Duration shutdownTimeout;

    private final Counter failedFlushes;

    public UsageCounter(Pool pool, MeterRegistry metrics,
            @ConfigProperty(name = "atrium.usage.max-keys", defaultValue = "100000") int maxKeys,
            @ConfigProperty(name = "atrium.usage.shutdown-timeout", defaultValue = "20s") Duration shutdownTimeout) {
        this.pool = pool;
        this.maxKeys = maxKeys;
        this.shutdownTimeout = shutdownTimeout;
        Gauge.builder("atrium.usage.pending", pending, Map::size)
                .description("Workspace-day API call counters waiting in memory for the next flush")
                .register(metrics);
        this.failedFlushes = Counter.builder("atrium.usage.flush.failures")
                .description("Usage flushes that failed; their counts stay in memory for the next one")
                .register(metrics);
    }

    public static LocalDate today() {
        return LocalDate.ofInstant(Clock.now(), ZoneOffset.UTC);
    }

    /** Counts one API call for the workspace today. */
    public void record(String workspaceId) {
        // compute() holds the key's bin lock, so an increment can never land on a counter a flush is removing.
        pending.compute(new Key(workspaceId, today()), (k, calls) -> {
            LongAdder c = calls == null ? new LongAdder() : calls;
            c.increment();
            return c;
        });
        if (pending.size() >= maxKeys && running.get() == null && earlyFlushAllowed()) {
            flush().subscribe().with(done -> {
            }, failure -> {
                failedFlushes.increment();
                LOG.warnf("Early usage flush failed, counts kept for the next one: %s", failure.toString());
            });
        }
    }

    /** At most one early flush a second, so a database that is down is not retried at the request rate. */
    private boolean earlyFlushAllowed() {
        long now = System.nanoTime();
        long next = nextEarlyFlush.get();
        return now - next >= 0 && nextEarlyFlush.compareAndSet(next, now + EARLY_FLUSH_SPACING_NANOS);
    }

    /** Today's calls of the workspace that are still only in memory. */
    public long pending(String workspaceId) {
        LongAdder calls = pending.get(new Key(workspaceId, today()));
        return calls == null ? 0 : calls.sum();
    }

    @Scheduled(identity = "usage-flush", every = "${atrium.usage.flush-every:10s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduledFlush() {
        return flush().onFailure().recoverWithUni(failure -> {
            failedFlushes.increment();
            LOG.warnf("Usage flush failed, counts kept for the next one: %s", failure.toString());
            return Uni.createFrom().voidItem();
        });
    }

    /** A graceful stop loses nothing: the counts still in memory are written before the process ends. */
    void onStop(@Observes ShutdownEvent event) {
        int keys = pending.size();
        try {
            FinalWrite.await(flush(), shutdownTimeout);
            LOG.infof("Usage flushed on shutdown: %d workspace-day counts written", keys);
        } catch (RuntimeException e) {
            failedFlushes.increment();
            LOG.errorf("Usage flush on shutdown failed; %d workspace-day counts not written: %s", pending.size(),
                    e.toString());
        }
    }

    /**
     * Writes every count recorded before this call. When a flush is already running (its snapshot may predate this
     * call), waits for it and flushes again.
     */
    public Uni<Void> flush() {
        return Uni.createFrom().deferred(() -> {
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> other = running.compareAndExchange(null, mine);
            if (other != null) {
                return Uni.createFrom().completionStage(other).onItemOrFailure().transformToUni((v, t) -> flush());
            }
            epoch.incrementAndGet();
            Uni<Void> chain = Uni.createFrom().voidItem();
            for (List<Map.Entry<Key, Long>> batch : snapshot()) {
                chain = chain.chain(() -> write(batch));
            }
            Uni<Void> work = chain.onTermination().invoke(() -> {
                epoch.incrementAndGet();
                running.set(null);
                mine.complete(null);
            });
            // Cancelling a write whose upsert commits would leave its counts in memory too: let it finish.
            return Shield.of(() -> work);
        });
    }

    private List<List<Map.Entry<Key, Long>>> snapshot() {
        List<List<Map.Entry<Key, Long>>> batches = new ArrayList<>();
        List<Map.Entry<Key, Long>> batch = new ArrayList<>();
        for (Map.Entry<Key, LongAdder> e : pending.entrySet()) {
            long calls = e.getValue().sum();
            if (calls <= 0) {
                continue;
            }
            batch.add(Map.entry(e.getKey(), calls));
            if (batch.size() == BATCH) {
                batches.add(batch);
                batch = new ArrayList<>();
            }
        }
        if (!batch.isEmpty()) {
            batches.add(batch);
        }
        return batches;
    }

    private Uni<Void> write(List<Map.Entry<Key, Long>> batch) {
        String[] ids = new String[batch.size()];
        LocalDate[] days = new LocalDate[batch.size()];
        Long[] calls = new Long[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            ids[i] = batch.get(i).getKey().workspaceId();
            days[i] = batch.get(i).getKey().day();
            calls[i] = batch.get(i).getValue();
        }
        return pool.preparedQuery(UPSERT).execute(Tuple.of(ids, days, calls))
                .invoke(rows -> {
                    for (Map.Entry<Key, Long> written : batch) {
                        pending.computeIfPresent(written.getKey(), (k, c) -> {
                            c.add(-written.getValue());
                            return c.sum() == 0 ? null : c;
                        });
                    }
                })
                .replaceWithVoid();
    }

    /**
     * API calls of the workspace per day from {@code from} to {@code to} (inclusive): the table's rows plus the
     * counts still in memory. A read that overlaps the start or end of a flush is repeated, so a count is seen
     * neither twice (written and still in memory) nor not at all.
     */
    public Uni<Map<LocalDate, Long>> calls(String workspaceId, LocalDate from, LocalDate to) {
        return calls(workspaceId, from, to, 1);
    }

    private Uni<Map<LocalDate, Long>> calls(String workspaceId, LocalDate from, LocalDate to, int attempt) {
        return Uni.createFrom().deferred(() -> {
            long before = epoch.get();
            CompletableFuture<Void> flushing = running.get();
            if ((before & 1) == 1 && flushing != null && attempt < READ_ATTEMPTS) {
                return Uni.createFrom().completionStage(flushing).onItemOrFailure()
                        .transformToUni((v, t) -> calls(workspaceId, from, to, attempt + 1));
            }
            return pool.preparedQuery("select day, api_calls from workspace_usage"
                    + " where workspace_id = $1 and day between $2 and $3")
                    .execute(Tuple.of(workspaceId, from, to))
                    .flatMap(rows -> {
                        Map<LocalDate, Long> out = new HashMap<>();
                        rows.forEach(r -> out.merge(r.getLocalDate(0), r.getLong(1), Long::sum));
                        for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
                            LongAdder inMemory = pending.get(new Key(workspaceId, d));
                            if (inMemory != null) {
                                out.merge(d, inMemory.sum(), Long::sum);
                            }
                        }
                        if (epoch.get() != before && attempt < READ_ATTEMPTS) {
                            return calls(workspaceId, from, to, attempt + 1);
                        }
                        return Uni.createFrom().item(out);
                    });
        });
    }
}
