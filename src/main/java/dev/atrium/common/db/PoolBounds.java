package dev.atrium.common.db;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** How long, and how many, requests may wait for a database connection when all of the pool's are in use. */
@ConfigMapping(prefix = "atrium.db")
public interface PoolBounds {

    /** The longest a request waits for a connection, once all are open and taken, before it is answered 503. */
    @WithDefault("1s")
    Duration acquireTimeout();

    /** Requests in line for a connection (beyond one per connection of the pool); one more is answered 503 at once. */
    @WithDefault("200")
    int maxWaiting();
}
