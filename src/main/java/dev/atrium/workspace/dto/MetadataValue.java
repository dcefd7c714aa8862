package dev.atrium.workspace.dto;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.workspace.WorkspaceLimits;

/** Documents one value of a workspace's metadata: a string (keys are 1 to 40 characters). */
@Schema(name = "MetadataValue", type = SchemaType.STRING, maxLength = WorkspaceLimits.METADATA_VALUE_MAX)
public final class MetadataValue {

    private MetadataValue() {
    }

    /** In a merge patch: {@code null} removes the key. */
    @Schema(name = "MetadataPatchValue", type = SchemaType.STRING, nullable = true,
            maxLength = WorkspaceLimits.METADATA_VALUE_MAX, description = "null removes the key")
    public static final class OrNull {

        private OrNull() {
        }
    }
}
