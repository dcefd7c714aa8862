package dev.atrium.workspace.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "StatusChangeRequest")
public record StatusChangeRequest(@Schema(required = true, enumeration = { "frozen", "active" }) String status,
        @Schema(maxLength = 500, description = "Required when freezing") String reason) {
}
