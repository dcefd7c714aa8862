package dev.atrium.common.web;

import java.util.List;

import dev.atrium.common.db.BoundedPool;
import dev.atrium.common.problem.ApiException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Marks API requests as the ones whose waits for a database connection are bounded ({@link BoundedPool}), and while
 * every place in line is taken answers them 503 {@code service_unavailable} at the door, before their token is
 * verified: the same answer the pool would give a moment later, without the work. Under overload, clients that retry
 * at once would otherwise keep the CPU busy verifying tokens for requests that can only be refused, and starve the
 * requests that hold a connection.
 */
@ApplicationScoped
public class OverloadGate {

    private final BoundedPool pool;

    public OverloadGate(BoundedPool pool) {
        this.pool = pool;
    }

    void install(@Observes Router router) {
        // Right after HttpEdge's request id and headers, before anything that authenticates.
        for (String api : List.of("/v1/*", "/platform/*", "/api/*")) {
            router.route(api).order(Integer.MIN_VALUE + 1).handler(this::gate);
        }
    }

    private void gate(RoutingContext ctx) {
        if (!pool.full()) {
            BoundedPool.boundWaitsOfThisRequest();
            ctx.next();
            return;
        }
        ApiException busy = ApiException.serviceUnavailable(1);
        busy.headers().forEach(ctx.response()::putHeader);
        HttpEdge.problem(ctx, busy.status(), busy.code(), busy.getMessage(), List.of());
    }
}
