package dev.atrium.common.web;

import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.MDC;

import dev.atrium.common.problem.FieldError;
import dev.atrium.common.problem.Problem;
import dev.atrium.common.problem.ProblemMapper;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Singleton;
import jakarta.enterprise.event.Observes;

/**
 * What every response carries, whichever layer writes it (JAX-RS, security, health, metrics): a {@code Request-Id}
 * and the cell's {@code X-Atrium-Region}. Also answers, with problem bodies, what never reaches JAX-RS: bodies over
 * the limit and paths under {@code /v1} that name no endpoint.
 */
// A singleton: on every request's path, called directly rather than through a client proxy.
@Singleton
public class HttpEdge {

    public static final String REGION_HEADER = "X-Atrium-Region";
    public static final long MAX_BODY_BYTES = 64 * 1024;

    private final String region;

    public HttpEdge(@ConfigProperty(name = "atrium.cell.region") String region) {
        this.region = region;
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(this::edge);
        router.route("/v1/*").order(Integer.MAX_VALUE - 10).handler(ctx -> problem(ctx, 404, "not_found",
                "No endpoint answers this path.", List.of()));
    }

    private void edge(RoutingContext ctx) {
        String requestId = ctx.request().getHeader(RequestIds.HEADER);
        if (!RequestIds.acceptable(requestId)) {
            requestId = RequestIds.generate();
            ctx.request().headers().set(RequestIds.HEADER, requestId);
        }
        String id = requestId;
        MDC.put("request_id", id);
        ctx.addHeadersEndHandler(v -> {
            ctx.response().headers().set(RequestIds.HEADER, id);
            if (!ctx.response().headers().contains(REGION_HEADER)) {
                ctx.response().headers().set(REGION_HEADER, region);
            }
        });
        String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null && tooLarge(length)) {
            problem(ctx, 413, "payload_too_large", "The request body is larger than 64 KiB.",
                    List.of(new FieldError("body", "at most 65536 bytes")));
            return;
        }
        ctx.next();
    }

    private static boolean tooLarge(String length) {
        try {
            return Long.parseLong(length.trim()) > MAX_BODY_BYTES;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static void problem(RoutingContext ctx, int status, String code, String detail, List<FieldError> errors) {
        Map<String, Object> body = ProblemMapper.body(status, code, detail, RequestIds.redact(ctx.request().path()),
                ctx.request().getHeader(RequestIds.HEADER), errors, Map.of());
        ctx.response().setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE);
        if (status == 413) {
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        }
        ctx.response().end(Json.encode(body));
    }
}
