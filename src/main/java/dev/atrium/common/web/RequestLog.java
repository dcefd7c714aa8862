package dev.atrium.common.web;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import dev.atrium.common.security.Principal;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.vertx.core.http.impl.HttpServerRequestInternal;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Singleton;
import jakarta.enterprise.event.Observes;

/**
 * What the logs say about each request. While a request is served, every line logged for it carries in its MDC the
 * {@code request_id} ({@link HttpEdge}), the {@code traceId} and {@code spanId} of its server span (Quarkus), its
 * {@code route} (the endpoint's path template, never the path with ids) and, once it is authenticated, who calls:
 * {@code principal_kind} ({@code user}, {@code service}, {@code api_key}) and {@code principal_id} (a user's subject, a
 * service's configured name, an API key's id; never a token or a key). The same go on the server span as
 * attributes. When it ends, one INFO line ({@code atrium.requests}) tells its method, route, status and duration
 * ({@code atrium.log.requests=false} leaves that line out).
 */
// A singleton: on every request's path, called directly rather than through a client proxy.
@Singleton
public class RequestLog {

    static final String ROUTE = "route";
    static final String PRINCIPAL_KIND = "principal_kind";
    static final String PRINCIPAL_ID = "principal_id";
    /** Where Quarkus REST keeps the matched endpoint's path template, on the request's context. */
    private static final String URL_PATH_TEMPLATE = "UrlPathTemplate";
    private static final int MAX_PATH = 256;
    private static final Logger LOG = Logger.getLogger("atrium.requests");

    private final boolean enabled;

    public RequestLog(@ConfigProperty(name = "atrium.log.requests", defaultValue = "true") boolean enabled) {
        this.enabled = enabled;
    }

    void install(@Observes Router router) {
        if (enabled) {
            router.route().order(Integer.MIN_VALUE + 2).handler(this::watch);
        }
    }

    /** Runs once the endpoint is matched and the caller authenticated (a security check runs before filters). */
    @ServerRequestFilter
    public void describe(RoutingContext ctx) {
        String route = route(ctx);
        Span span = Span.current();
        if (route != null) {
            MDC.put(ROUTE, route);
        }
        Principal principal = principal(ctx);
        if (principal != null) {
            MDC.put(PRINCIPAL_KIND, kind(principal));
            MDC.put(PRINCIPAL_ID, principal.id());
            if (span.isRecording()) {
                span.setAttribute("atrium.principal.kind", kind(principal));
                span.setAttribute("atrium.principal.id", principal.id());
            }
        }
    }

    private void watch(RoutingContext ctx) {
        long started = System.nanoTime();
        SpanContext span = Span.current().getSpanContext();
        ctx.addEndHandler(ended -> {
            if (!LOG.isInfoEnabled()) {
                return;
            }
            long millis = (System.nanoTime() - started) / 1_000_000;
            String route = route(ctx);
            // The server span may have closed its scope (and cleared its ids) by now: the line carries them anyway.
            if (span.isValid()) {
                MDC.put("traceId", span.getTraceId());
                MDC.put("spanId", span.getSpanId());
            }
            MDC.put(ROUTE, route == null ? "unmatched" : route);
            Principal principal = principal(ctx);
            if (principal != null) {
                MDC.put(PRINCIPAL_KIND, kind(principal));
                MDC.put(PRINCIPAL_ID, principal.id());
            }
            String path = RequestIds.redact(ctx.request().path());
            MDC.put("path", path == null || path.length() <= MAX_PATH ? path : path.substring(0, MAX_PATH));
            MDC.put("status", Integer.toString(ctx.response().getStatusCode()));
            MDC.put("duration_ms", Long.toString(millis));
            // Concatenated, not a format string: this line is written for every request.
            LOG.info(ctx.request().method().name() + ' ' + (route == null ? "unmatched" : route) + ' '
                    + ctx.response().getStatusCode() + ' ' + millis + " ms"
                    + (ended.succeeded() ? "" : " (connection closed)"));
        });
        ctx.next();
    }

    private static String route(RoutingContext ctx) {
        if (ctx.request() instanceof HttpServerRequestInternal internal) {
            Object template = internal.context().getLocal(URL_PATH_TEMPLATE);
            return template instanceof String t && !t.isEmpty() ? t : null;
        }
        return null;
    }

    private static Principal principal(RoutingContext ctx) {
        if (ctx.user() instanceof QuarkusHttpUser user) {
            SecurityIdentity identity = user.getSecurityIdentity();
            if (identity != null && identity.getAttribute(Principal.IDENTITY_ATTRIBUTE) instanceof Principal p) {
                return p;
            }
        }
        return null;
    }

    private static String kind(Principal principal) {
        return principal.isApiKey() ? "api_key" : principal.isService() ? "service" : "user";
    }
}
