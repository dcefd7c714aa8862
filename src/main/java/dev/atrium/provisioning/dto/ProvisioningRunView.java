package dev.atrium.provisioning.dto;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "ProvisioningRun")
public record ProvisioningRunView(@Schema(enumeration = "provisioning_run") String object, String id,
        String workspaceId, @Schema(enumeration = { "create", "delete" }) String kind,
        @Schema(enumeration = { "pending", "running", "succeeded", "failed" }) String status,
        @Schema(nullable = true) String error, Instant createdAt, @Schema(nullable = true) Instant startedAt,
        @Schema(nullable = true) Instant finishedAt, List<Step> steps) {

    @Schema(name = "ProvisioningStep")
    public record Step(int position, String name,
            @Schema(enumeration = { "pending", "running", "succeeded", "failed", "skipped", "compensated" }) String status,
            int attempts, @Schema(nullable = true) Instant startedAt, @Schema(nullable = true) Instant finishedAt,
            @Schema(nullable = true) String lastError) {
    }
}
