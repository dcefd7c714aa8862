package dev.atrium.common.db;

import io.vertx.core.VertxException;

/** No database connection for a request: none became free in time, or too many requests already wait for one. */
public class PoolExhaustedException extends VertxException {

    public PoolExhaustedException(String why) {
        super(why, true);
    }
}
