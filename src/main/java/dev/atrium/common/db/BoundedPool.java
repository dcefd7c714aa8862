package dev.atrium.common.db;

import java.util.concurrent.TimeUnit;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.core.VertxException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import jakarta.inject.Singleton;

/**
 * The reactive pool, with Quarkus's own options plus two bounds Quarkus 3.33 has no setting for: how long a request
 * waits for a connection and how many wait at once. Unbounded (Vert.x's default), an exhausted pool holds every
 * request until a connection frees up, with no limit on time or number; bounded, the excess fails fast and is answered
 * 503 {@code service_unavailable} with {@code Retry-After} (see {@code ProblemMapper}), so callers and load
 * balancers can back off or go elsewhere. Hibernate Reactive and the direct pool users share this one pool.
 */
@Singleton
public class BoundedPool implements PgPoolCreator {

    /*
     * Vert.x 4.5 has no exception type of its own for a timed-out acquisition, only these exact messages: a bare
     * NoStackTraceThrowable for getConnection() (Hibernate Reactive's sessions, withTransaction) and a VertxException
     * for a query sent to the pool itself. PoolExhaustionTest pins both, so an upgrade that changes them fails there.
     */
    private static final String CONNECTION_TIMEOUT = "Timeout";
    private static final String POOL_QUERY_TIMEOUT = "Timeout waiting for connection";

    private final PoolBounds bounds;

    public BoundedPool(PoolBounds bounds) {
        this.bounds = bounds;
    }

    @Override
    public Pool create(Input input) {
        PoolOptions options = new PoolOptions(input.poolOptions())
                .setMaxWaitQueueSize(bounds.maxWaiting())
                .setConnectionTimeout(Math.toIntExact(bounds.acquireTimeout().toMillis()))
                .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
        return PgPool.pool(input.vertx(), input.pgConnectOptionsList(), options);
    }

    /** Whether {@code failure}, or a cause of it, is this pool refusing a connection because it is exhausted. */
    public static boolean exhausted(Throwable failure) {
        for (Throwable c = failure; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ConnectionPoolTooBusyException) {
                return true;
            }
            if (c.getClass() == NoStackTraceThrowable.class && CONNECTION_TIMEOUT.equals(c.getMessage())) {
                return true;
            }
            if (c.getClass() == VertxException.class && POOL_QUERY_TIMEOUT.equals(c.getMessage())) {
                return true;
            }
        }
        return false;
    }
}
