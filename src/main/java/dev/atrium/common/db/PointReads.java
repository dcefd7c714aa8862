package dev.atrium.common.db;

import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

/**
 * The hot single-row reads of API requests (a workspace by id, the caller's organizations): one prepared statement
 * each, outside any transaction, sent over a few connections of their own ({@link PoolBounds#pointReadConnections})
 * that carry many statements at once (the PostgreSQL client's pipelining), where taking a connection of the pool
 * and giving it back for each read cost more than the read. A statement here waits behind those sent before it on
 * its connection, so only short reads of committed rows belong here, never one inside a transaction.
 *
 * <p>Bounded like the pool's line: with {@link PoolBounds#maxWaiting} reads in flight, one more fails at once with
 * {@link PoolExhaustedException} (503 {@code service_unavailable}, counted in {@code atrium.db.pool.refused}); the
 * statement timeout set on every connection bounds how long any of them takes. {@code atrium.db.point-reads.in-flight}
 * tells how many are out now.
 */
@Singleton
public class PointReads {

    private final BoundedPool bounded;
    private final Pool pool;
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Counter refused;
    private volatile SqlClient client;

    public PointReads(BoundedPool bounded, Pool pool, PoolBounds bounds, MeterRegistry metrics) {
        this.bounded = bounded;
        this.pool = pool;
        this.maxInFlight = bounds.maxWaiting();
        this.refused = WaitBoundedPool.refusals(metrics);
        Gauge.builder("atrium.db.point-reads.in-flight", inFlight, AtomicInteger::get)
                .description("Point reads sent and not answered yet").register(metrics);
    }

    /** Runs {@code sql} with {@code args} on the point reads' connections. */
    public Uni<RowSet<Row>> execute(String sql, Tuple args) {
        return Uni.createFrom().deferred(() -> {
            if (inFlight.incrementAndGet() > maxInFlight) {
                inFlight.decrementAndGet();
                refused.increment();
                return Uni.createFrom()
                        .failure(new PoolExhaustedException(maxInFlight + " point reads already in flight"));
            }
            return client().preparedQuery(sql).execute(args).onTermination().invoke(inFlight::decrementAndGet);
        });
    }

    private SqlClient client() {
        SqlClient c = client;
        if (c == null) {
            pool.getDelegate(); // the pool's creation (BoundedPool.create) makes the point reads' client too
            c = SqlClient.newInstance(bounded.pointReads());
            client = c;
        }
        return c;
    }
}
