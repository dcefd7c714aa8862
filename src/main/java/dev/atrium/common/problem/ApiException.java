package dev.atrium.common.problem;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every refusal the service makes is one of these; {@link ProblemMapper} turns it into RFC 9457 problem details.
 * The factory methods carry the contract's status-per-code table so no caller picks a status by hand.
 */
public class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final List<FieldError> errors;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final Map<String, Object> extensions = new LinkedHashMap<>();

    public ApiException(int status, String code, String detail, List<FieldError> errors) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
        this.errors = errors == null ? List.of() : List.copyOf(errors);
    }

    public ApiException(int status, String code, String detail) {
        this(status, code, detail, List.of());
    }

    public ApiException header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public ApiException extension(String name, Object value) {
        extensions.put(name, value);
        return this;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<FieldError> errors() {
        return errors;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public Map<String, Object> extensions() {
        return extensions;
    }

    public static ApiException validation(List<FieldError> errors) {
        return new ApiException(400, "validation_failed", "The request has invalid fields.", errors);
    }

    public static ApiException validation(String field, String message) {
        return validation(List.of(new FieldError(field, message)));
    }

    public static ApiException notFound() {
        return new ApiException(404, "not_found", "The resource does not exist or is outside your reach.");
    }

    public static ApiException forbidden(String detail) {
        return new ApiException(403, "permission_denied", detail);
    }

    public static ApiException conflict(String code, String detail) {
        return new ApiException(409, code, detail);
    }

    public static ApiException invalidTransition(String current, String target) {
        return new ApiException(409, "invalid_state_transition",
                "A workspace in status '" + current + "' cannot move to '" + target + "'.")
                .extension("current_status", current);
    }

    public static ApiException invalidCursor() {
        return new ApiException(400, "invalid_cursor", "The cursor is malformed or belongs to another query.",
                List.of(new FieldError("cursor", "not a cursor issued for this list")));
    }

    public static ApiException cursorExpired() {
        return new ApiException(410, "cursor_expired",
                "The cursor is older than the retention window; start again without one.");
    }

    /** Busy right now (a lock or statement timeout, no free connection): safe to retry after the given seconds. */
    public static ApiException serviceUnavailable(long retryAfterSeconds) {
        return new ApiException(503, "service_unavailable", "The service is busy; retry shortly.")
                .header("Retry-After", String.valueOf(retryAfterSeconds));
    }

    /** The home cell of what the request needs cannot be reached: fail closed, and say when to try again. */
    public static ApiException cellUnavailable(String region, long retryAfterSeconds) {
        return new ApiException(503, "cell_unavailable",
                "The cell of region '" + region + "' cannot be reached right now; nothing was changed.")
                .header("Retry-After", String.valueOf(retryAfterSeconds))
                .extension("region", region);
    }

    public static ApiException preconditionFailed() {
        return new ApiException(412, "precondition_failed", "If-Match does not match the current ETag.");
    }
}
