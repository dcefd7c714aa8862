package dev.atrium.audit;

import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * How far the event feed lags behind what has been written: the age of the oldest committed event that readers cannot
 * be served yet, because a transaction that began before it is still open and holds the feed's horizon back (see
 * {@link EventFeed}). Zero when every committed event is servable. A lag that grows names a long transaction.
 * Gauge {@code atrium.events.feed.lag.seconds}, refreshed every 15 s (a gauge is read synchronously).
 */
@Startup
@ApplicationScoped
public class EventFeedLag {

    private static final String LAG = """
            select coalesce(cast(extract(epoch from now() - min(occurred_at)) * 1000 as bigint), 0) as millis
              from events
             where txid >= pg_snapshot_xmin(pg_current_snapshot())""";

    private final Pool pool;
    private final AtomicLong millis = new AtomicLong();

    public EventFeedLag(Pool pool, MeterRegistry metrics) {
        this.pool = pool;
        Gauge.builder("atrium.events.feed.lag.seconds", millis, m -> m.get() / 1000.0)
                .description("Age of the oldest committed event the feed cannot serve yet (held back by an open"
                        + " transaction)")
                .register(metrics);
    }

    @Scheduled(every = "15s", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> refresh() {
        return pool.preparedQuery(LAG).execute()
                .invoke(rows -> millis.set(Math.max(0, rows.iterator().next().getLong("millis"))))
                .replaceWithVoid().onFailure().recoverWithNull();
    }
}
