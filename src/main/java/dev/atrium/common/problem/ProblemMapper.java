package dev.atrium.common.problem;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.hibernate.StaleStateException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

import dev.atrium.common.db.BoundedPool;
import dev.atrium.common.db.DbErrors;
import dev.atrium.common.json.UnstorableTextException;
import dev.atrium.common.text.Text;
import dev.atrium.common.web.AllowedMethods;
import dev.atrium.common.web.RequestIds;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.persistence.OptimisticLockException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

/** The one place that turns failures into {@code application/problem+json}. Nothing a client sends reaches 500. */
public class ProblemMapper {

    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);
    public static final String TYPE_BASE = "https://atrium.dev/problems/";

    private final AllowedMethods allowedMethods;

    public ProblemMapper(AllowedMethods allowedMethods) {
        this.allowedMethods = allowedMethods;
    }

    @ServerExceptionMapper
    public Response api(ApiException e, HttpServerRequest request) {
        return build(request, e.status(), e.code(), e.getMessage(), e.errors(), e.headers(), e.extensions());
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class })
    public Response unauthenticated(RuntimeException e, HttpServerRequest request) {
        boolean presented = request.getHeader(HttpHeaders.AUTHORIZATION) != null;
        String challenge = presented ? "Bearer realm=\"atrium\", error=\"invalid_token\"" : "Bearer realm=\"atrium\"";
        String detail = presented ? "The bearer token is invalid, expired or not meant for this service."
                : "A bearer token is required.";
        return build(request, 401, "unauthenticated", detail, List.of(),
                Map.of(HttpHeaders.WWW_AUTHENTICATE, challenge), Map.of());
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e, HttpServerRequest request) {
        return build(request, 403, "permission_denied", "You are not allowed to do this.", List.of(), Map.of(),
                Map.of());
    }

    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException e, HttpServerRequest request) {
        return jsonMapping(e, request);
    }

    @ServerExceptionMapper
    public Response unrecognized(UnrecognizedPropertyException e, HttpServerRequest request) {
        return jsonMapping(e, request);
    }

    @ServerExceptionMapper
    public Response jsonMapping(JsonMappingException e, HttpServerRequest request) {
        String field = path(e);
        String message = e instanceof UnrecognizedPropertyException ? "unknown field"
                : "has the wrong type or shape";
        if (e.getCause() instanceof JsonParseException cause) {
            // Met while reading a field's value (a duplicated key inside it, or the body ending in it): a fault of
            // the JSON, not of the field; the parser knows where a duplicated key is.
            return parse(cause, request);
        }
        if (e instanceof UnstorableTextException text) {
            String inner = text.innerPath();
            field = field.isEmpty() ? inner : inner.isEmpty() ? field : field + "." + inner;
            return build(request, 400, "validation_failed", "The request has invalid fields.",
                    List.of(new FieldError(field.isEmpty() ? "body" : field, Text.UNSTORABLE)), Map.of(), Map.of());
        }
        if (field.isEmpty()) {
            field = "body";
            message = "the body must be a JSON object of the documented shape";
        }
        return build(request, 400, "validation_failed", "The request has invalid fields.",
                List.of(new FieldError(field, message)), Map.of(), Map.of());
    }

    @ServerExceptionMapper
    public Response parse(JsonParseException e, HttpServerRequest request) {
        String duplicate = duplicatedKey(e);
        if (duplicate != null) {
            return build(request, 400, "validation_failed", "The request has invalid fields.",
                    List.of(new FieldError(duplicate, "appears more than once")), Map.of(), Map.of());
        }
        return malformed(request);
    }

    /** The path of the key that {@code STRICT_DUPLICATE_DETECTION} found twice, {@code null} for other errors. */
    private static String duplicatedKey(JsonParseException e) {
        String message = e.getOriginalMessage();
        JsonParser p = e.getProcessor();
        if (message == null || !message.startsWith("Duplicate field") || p == null) {
            return null;
        }
        Deque<String> steps = new ArrayDeque<>();
        for (JsonStreamContext c = p.getParsingContext(); c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inObject() && c.getCurrentName() != null) {
                steps.push("." + c.getCurrentName());
            } else if (c.inArray()) {
                steps.push("[" + c.getCurrentIndex() + "]");
            }
        }
        String path = String.join("", steps).replaceFirst("^\\.", "");
        return path.isEmpty() ? "body" : path;
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e, HttpServerRequest request) {
        return malformed(request);
    }

    /**
     * A version clash that got past the row locks: with {@code If-Match} the precondition failed (412); without one
     * the client asked for no precondition, so the clash is ours to report as a retryable conflict.
     */
    @ServerExceptionMapper({ OptimisticLockException.class, StaleStateException.class })
    public Response stale(RuntimeException e, HttpServerRequest request) {
        if (request.getHeader(HttpHeaders.IF_MATCH) != null) {
            return api(ApiException.preconditionFailed(), request);
        }
        return build(request, 409, "conflict", "The resource was changed by another request; read it and retry.",
                List.of(), Map.of(), Map.of());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, HttpServerRequest request) {
        Throwable cause = e.getCause();
        if (cause instanceof JsonMappingException jme) {
            return jsonMapping(jme, request);
        }
        if (cause instanceof JsonParseException jpe) {
            return parse(jpe, request);
        }
        if (cause instanceof JsonProcessingException) {
            return malformed(request);
        }
        int status = e.getResponse().getStatus();
        Map<String, String> headers = new LinkedHashMap<>();
        String allow = e.getResponse().getHeaderString(HttpHeaders.ALLOW);
        if (allow == null && status == 405) {
            allow = allowedMethods.allow(request.path());
        }
        if (allow != null) {
            headers.put(HttpHeaders.ALLOW, allow);
        }
        String code;
        String detail;
        switch (status) {
            case 400 -> {
                code = "malformed_json";
                detail = "The request body could not be read.";
            }
            case 401 -> {
                return unauthenticated(new UnauthorizedException(), request);
            }
            case 403 -> {
                code = "permission_denied";
                detail = "You are not allowed to do this.";
            }
            case 404 -> {
                code = "not_found";
                detail = "The resource does not exist or is outside your reach.";
            }
            case 405 -> {
                code = "method_not_allowed";
                detail = "This method is not allowed on this resource.";
            }
            case 406 -> {
                code = "not_acceptable";
                detail = "None of the media types in Accept can be produced; use application/json.";
            }
            case 413 -> {
                code = "payload_too_large";
                detail = "The request body is larger than 64 KiB.";
            }
            case 415 -> {
                code = "unsupported_media_type";
                detail = "Send the body as application/json.";
            }
            default -> {
                if (status >= 500) {
                    return unexpected(e, request);
                }
                code = "bad_request";
                detail = "The request could not be processed.";
            }
        }
        return build(request, status, code, detail, List.of(), headers, Map.of());
    }

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 1000)
    public Response unexpected(Throwable e, HttpServerRequest request) {
        if (BoundedPool.exhausted(e)) {
            // No connection free in time: refused so that the caller backs off, rather than held.
            return api(ApiException.serviceUnavailable(1), request);
        }
        ApiException known = DbErrors.translate(e);
        if (known != null) {
            DbErrors.sqlState(e).filter(state -> state.startsWith(DbErrors.DATA_EXCEPTION_CLASS)).ifPresent(
                    state -> LOG.warnf("the database refused a value of %s %s (SQLState %s): a validation is missing",
                            request.method(), RequestIds.safePath(request), state));
            return api(known, request);
        }
        LOG.errorf(e, "unexpected failure on %s %s", request.method(), RequestIds.safePath(request));
        return build(request, 500, "internal_error", "Something went wrong on our side; the request id helps us find it.",
                List.of(), Map.of(), Map.of());
    }

    static String title(int status) {
        return switch (status) {
            case 307 -> "Temporary Redirect";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 406 -> "Not Acceptable";
            case 409 -> "Conflict";
            case 410 -> "Gone";
            case 412 -> "Precondition Failed";
            case 413 -> "Content Too Large";
            case 415 -> "Unsupported Media Type";
            case 422 -> "Unprocessable Content";
            case 423 -> "Locked";
            case 429 -> "Too Many Requests";
            case 503 -> "Service Unavailable";
            default -> status >= 500 ? "Internal Server Error" : "Error";
        };
    }

    private Response malformed(HttpServerRequest request) {
        return build(request, 400, "malformed_json", "The request body is not valid JSON.",
                List.of(new FieldError("body", "not valid JSON")), Map.of(), Map.of());
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    public static Map<String, Object> body(int status, String code, String detail, String instance, String requestId,
            List<FieldError> errors, Map<String, Object> extensions) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", TYPE_BASE + code);
        body.put("title", title(status));
        body.put("status", status);
        body.put("detail", detail);
        body.put("code", code);
        body.put("instance", instance);
        body.put("request_id", requestId);
        body.put("errors", errors == null ? List.of() : new ArrayList<>(errors));
        body.putAll(extensions);
        return body;
    }

    private Response build(HttpServerRequest request, int status, String code, String detail, List<FieldError> errors,
            Map<String, String> headers, Map<String, Object> extensions) {
        Response.ResponseBuilder builder = Response.status(status)
                .type(Problem.MEDIA_TYPE)
                .entity(body(status, code, detail, RequestIds.safePath(request), RequestIds.of(request), errors,
                        extensions));
        headers.forEach(builder::header);
        return builder.build();
    }
}
