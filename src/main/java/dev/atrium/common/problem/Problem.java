package dev.atrium.common.problem;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * RFC 9457 problem details as documented in the OpenAPI. The wire body is written by {@link ProblemMapper}, which
 * adds code-specific members (for example {@code region} and {@code location} on {@code wrong_region}).
 */
@Schema(name = "Problem", description = "RFC 9457 problem details; `code` is stable, `type` is a URI per code.")
public record Problem(String type, String title, int status, String detail, String code, String instance,
        String requestId, List<FieldError> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";
}
