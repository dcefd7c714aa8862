package dev.atrium.provisioning.dto;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "ProvisioningRun")
public record ProvisioningRunView(@Schema(enumeration = "provisioning_run") String object, String id,
        String workspaceId, @Schema(enumeration = { "create", "delete", "restore" }) String kind,
        @Schema(enumeration = { "pending", "running", "compensating", "succeeded", "failed" }) String status,
        @Schema(nullable = true) String error,
        @Schema(description = "How often an administrator re-ran the run after it failed") int retries,
        @Schema(nullable = true, description = "When a waiting run is due again (after a failed attempt)") Instant nextAttemptAt,
        Instant createdAt, @Schema(nullable = true) Instant startedAt, @Schema(nullable = true) Instant finishedAt,
        List<Step> steps) {

    @Schema(name = "ProvisioningStep")
    public record Step(int position, String name,
            @Schema(enumeration = { "pending", "running", "succeeded", "failed", "skipped", "compensated" }) String status,
            int attempts, @Schema(nullable = true) Instant startedAt, @Schema(nullable = true) Instant finishedAt,
            @Schema(nullable = true) String lastError) {
    }
}
