package dev.atrium.workspace.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.workspace.WorkspaceLimits;

@Schema(name = "StatusChangeRequest")
public record StatusChangeRequest(@Schema(required = true, enumeration = { "frozen", "active" }) String status,
        @Schema(minLength = 1, maxLength = WorkspaceLimits.FREEZE_REASON_MAX, description = "Why the workspace is frozen (optional); "
                + "ignored when unfreezing") String reason) {
}
