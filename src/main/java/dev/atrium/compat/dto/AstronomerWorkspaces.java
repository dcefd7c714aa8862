package dev.atrium.compat.dto;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonProperty;

/** One page of an organization's workspaces, paged by offset. */
@Schema(name = "AstronomerWorkspaces", requiredProperties = { "workspaces", "totalCount", "limit", "offset" })
public record AstronomerWorkspaces(
        @JsonProperty("workspaces") List<AstronomerWorkspace> workspaces,
        @JsonProperty("totalCount") @Schema(description = "How many workspaces the organization has in all")
        long totalCount,
        @JsonProperty("limit") int limit,
        @JsonProperty("offset") int offset) {
}
