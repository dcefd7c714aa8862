package dev.atrium.common.db;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * How long, and how many, requests may wait for a database connection when all of the pool's are in use; how many of
 * its connections the point reads take.
 */
@ConfigMapping(prefix = "atrium.db")
public interface PoolBounds {

    /** The longest a request waits for a connection, once all are open and taken, before it is answered 503. */
    @WithDefault("1s")
    Duration acquireTimeout();

    /** Requests in line for a connection (beyond one per connection of the pool); one more is answered 503 at once. */
    @WithDefault("200")
    int maxWaiting();

    /**
     * Of the pool's connections ({@code quarkus.datasource.reactive.max-size}), how many carry the hot single-row
     * reads ({@link PointReads}), each many statements at once: at most this many and a quarter of the pool, at least
     * one (see {@link BoundedPool#pointReadConnections}).
     */
    @WithDefault("2")
    int pointReadConnections();
}
