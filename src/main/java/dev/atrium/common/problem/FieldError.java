package dev.atrium.common.problem;

/** One field at fault in a request: a JSON path such as {@code metadata.team}, or a query or header name. */
public record FieldError(String field, String message) {
}
