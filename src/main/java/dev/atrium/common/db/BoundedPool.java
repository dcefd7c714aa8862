package dev.atrium.common.db;

import java.util.ArrayList;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

/**
 * The reactive pool, with Quarkus's own options plus two bounds Quarkus 3.33 has no setting for: how many requests wait
 * for a connection at once, and how long each waits. Unbounded (Vert.x's default), an exhausted pool holds every
 * request until a connection frees up, with no limit on time or number; bounded, the excess fails fast and is answered
 * 503 {@code service_unavailable} with {@code Retry-After} (see {@code ProblemMapper}), so callers and load
 * balancers can back off or go elsewhere. Hibernate Reactive and the direct pool users share this one pool; the bounds
 * apply to API requests only (see {@link WaitBoundedPool}). A few of the configured connections are set apart, with
 * the same settings, for the {@link PointReads}: the instance holds {@code max-size} connections in all.
 */
@Singleton
public class BoundedPool implements PgPoolCreator {

    /** The point reads' connections in the {@code pool_name} label of the {@code sql_pool_*} metrics. */
    public static final String POINT_READS_NAME = "atrium-point-reads";

    private final PoolBounds bounds;
    private final MeterRegistry metrics;
    private volatile WaitBoundedPool created;
    private volatile SqlClient pointReads;

    public BoundedPool(PoolBounds bounds, MeterRegistry metrics) {
        this.bounds = bounds;
        this.metrics = metrics;
    }

    @Override
    public Pool create(Input input) {
        // Vert.x's own wait queue and timeout stay unbounded and unused: WaitBoundedPool bounds both (see there why).
        int configured = input.poolOptions().getMaxSize();
        int forPointReads = pointReadConnections(configured, bounds.pointReadConnections());
        PoolOptions options = new PoolOptions(input.poolOptions()).setMaxSize(Math.max(1, configured - forPointReads));
        created = new WaitBoundedPool(input.vertx(), PgPool.pool(input.vertx(), input.pgConnectOptionsList(), options),
                options.getMaxSize(), bounds.acquireTimeout().toMillis(), bounds.maxWaiting(), metrics);
        // Pipelined (PgBuilder.client): a statement goes out on one of these connections as soon as it is sent,
        // behind those already in flight, with no connection taken and given back for it. Named, so that their
        // sql_pool_* metrics are their own (under the pool's default name they clashed with the pool's, and the
        // registry kept only the pool's).
        pointReads = PgBuilder.client().with(new PoolOptions().setMaxSize(forPointReads).setName(POINT_READS_NAME))
                .connectingTo(new ArrayList<SqlConnectOptions>(input.pgConnectOptionsList())).using(input.vertx())
                .build();
        return created;
    }

    /**
     * How many of a pool of {@code poolSize} connections carry the point reads: {@code wanted}, at most a quarter of
     * the pool, at least one (a pool of one connection then gets one more).
     */
    public static int pointReadConnections(int poolSize, int wanted) {
        return Math.max(1, Math.min(wanted, poolSize / 4));
    }

    /** The point reads' client: the pool's connection settings, its own connections (see {@link PointReads}). */
    SqlClient pointReads() {
        SqlClient client = pointReads;
        if (client == null) {
            throw new IllegalStateException("the reactive pool is not created yet");
        }
        return client;
    }

    @PreDestroy
    void close() {
        SqlClient client = pointReads;
        if (client != null) {
            client.close();
        }
    }

    /**
     * Bounds the waits for a connection of the API request served on the current context (see {@link PoolBounds});
     * any other work waits its turn unbounded.
     */
    public static void boundWaitsOfThisRequest() {
        WaitBoundedPool.boundWaitsOfThisRequest();
    }

    /** Whether a request that needs a connection now would be refused at once, every place in line being taken. */
    public boolean full() {
        WaitBoundedPool pool = created;
        return pool != null && pool.full();
    }

    /** Whether {@code failure}, or a cause of it, is this pool refusing a connection because it is exhausted. */
    public static boolean exhausted(Throwable failure) {
        for (Throwable c = failure; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof PoolExhaustedException) {
                return true;
            }
        }
        return false;
    }
}
