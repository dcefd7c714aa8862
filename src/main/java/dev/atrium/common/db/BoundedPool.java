package dev.atrium.common.db;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import jakarta.inject.Singleton;

/**
 * The reactive pool, with Quarkus's own options plus two bounds Quarkus 3.33 has no setting for: how many requests wait
 * for a connection at once, and how long each waits. Unbounded (Vert.x's default), an exhausted pool holds every
 * request until a connection frees up, with no limit on time or number; bounded, the excess fails fast and is answered
 * 503 {@code service_unavailable} with {@code Retry-After} (see {@code ProblemMapper}), so callers and load
 * balancers can back off or go elsewhere. Hibernate Reactive and the direct pool users share this one pool; the bounds
 * apply to API requests only (see {@link WaitBoundedPool}).
 */
@Singleton
public class BoundedPool implements PgPoolCreator {

    private final PoolBounds bounds;
    private final MeterRegistry metrics;
    private volatile WaitBoundedPool created;

    public BoundedPool(PoolBounds bounds, MeterRegistry metrics) {
        this.bounds = bounds;
        this.metrics = metrics;
    }

    @Override
    public Pool create(Input input) {
        // Vert.x's own wait queue and timeout stay unbounded and unused: WaitBoundedPool bounds both (see there why).
        PoolOptions options = input.poolOptions();
        created = new WaitBoundedPool(input.vertx(), PgPool.pool(input.vertx(), input.pgConnectOptionsList(), options),
                options.getMaxSize(), bounds.acquireTimeout().toMillis(), bounds.maxWaiting(), metrics);
        return created;
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
