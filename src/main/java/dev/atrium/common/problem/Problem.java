package dev.atrium.common.problem;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * RFC 9457 problem details as documented in the OpenAPI. The wire body is written by {@link ProblemMapper}; the
 * members after {@code errors} appear only with the codes that carry them.
 */
@Schema(name = "Problem", description = "RFC 9457 problem details; `code` is stable, `type` is a URI per code.",
        requiredProperties = { "type", "title", "status", "detail", "code", "instance", "request_id", "errors" })
public record Problem(String type, String title, int status, String detail, String code, String instance,
        String requestId, List<FieldError> errors,
        @Schema(description = "`wrong_region`: the region that serves the resource") String region,
        @Schema(description = "`wrong_region`: the same request on that region's cell") String location,
        @Schema(description = "`unknown_region`: the regions that exist") List<String> knownRegions,
        @Schema(description = "`invalid_state_transition`: the resource's status now") String currentStatus,
        @Schema(description = "`conflict`: the field whose value is taken") String field,
        @Schema(description = "`limit_exceeded`: the seat limit reached") Integer seatLimit,
        @Schema(description = "`limit_exceeded`: the plan's API-key limit reached") Integer maxApiKeys,
        @Schema(description = "`permission_denied`: the requested scopes beyond the caller's own") List<String> scopes,
        @Schema(description = "When a restore is no longer possible: when the workspace was purged") Instant purgeAt) {

    public static final String MEDIA_TYPE = "application/problem+json";
}
