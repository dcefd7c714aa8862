package dev.atrium.common.web;

import java.util.function.BiConsumer;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.quarkus.vertx.http.runtime.security.HttpSecurityRecorder.DefaultAuthFailureHandler;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * Hands an authentication failure that happens outside the REST layer to the REST layer's exception mappers, as
 * Quarkus REST does itself, without its per-request cost.
 * <p>
 * The HTTP security filter (priority 200) puts Quarkus's default failure handler on every request. Quarkus REST's own
 * filter right after it (199) swaps that for one that fails the request instead, so the failure reaches the abort
 * chain, and, whenever metrics are on, first maps the request's path a second time, building a new matcher over every
 * resource class, only to give the metric its path template. That was about 6 % of a warm authenticated read's CPU.
 * With lazy authentication (quarkus.http.auth.proactive=false) the template is set anyway, by the REST layer's own
 * observability step once the request is matched. This filter, registered at the same priority as the security filter
 * and therefore run right after it, makes the same swap, so REST's filter finds nothing to do.
 * <p>
 * The swap holds only until the REST layer starts on the request: from then on its own security checks and exception
 * mappers answer an authentication failure, and a handler still on the request would fail it a second time (two
 * answers to one request). Quarkus REST removes its handler at that point; {@link #restTakesOver} removes this one,
 * as the first step of the REST layer (a pre-matching filter). A singleton: the filter runs on every request, and a
 * normal-scoped bean would be called through a client proxy that looks its instance up each time.
 */
@Singleton
public class AuthFailureHandoff {

    /** The HTTP security filter's priority (FilterBuildItem.AUTHENTICATION); runtime filters go after build-time ones. */
    static final int AUTHENTICATION = 200;

    /** What Quarkus REST's FailingDefaultAuthFailureHandler does: fail the request with the root cause, once. */
    private static final BiConsumer<RoutingContext, Throwable> FAIL_REQUEST = (ctx, failure) -> {
        DefaultAuthFailureHandler.markIfOtherAuthenticationFailure(ctx, failure);
        if (!ctx.failed()) {
            ctx.fail(DefaultAuthFailureHandler.extractRootCause(failure));
        }
    };

    void install(@Observes Filters filters) {
        filters.register(AuthFailureHandoff::handOff, AUTHENTICATION);
    }

    static void handOff(RoutingContext ctx) {
        if (ctx.get(QuarkusHttpUser.AUTH_FAILURE_HANDLER) instanceof DefaultAuthFailureHandler) {
            ctx.put(QuarkusHttpUser.AUTH_FAILURE_HANDLER, FAIL_REQUEST);
        }
        ctx.next();
    }

    @ServerRequestFilter(preMatching = true)
    public void restTakesOver(RoutingContext ctx) {
        if (ctx.get(QuarkusHttpUser.AUTH_FAILURE_HANDLER) == FAIL_REQUEST) {
            ctx.remove(QuarkusHttpUser.AUTH_FAILURE_HANDLER);
        }
    }
}
