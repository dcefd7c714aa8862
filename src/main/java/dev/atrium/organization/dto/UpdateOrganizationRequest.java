package dev.atrium.organization.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.common.Slugs;
import dev.atrium.common.text.Text;

/** Documents the merge patch body; the service reads the raw JSON object so absent and null differ. */
@Schema(name = "UpdateOrganizationRequest")
public record UpdateOrganizationRequest(@Schema(maxLength = Text.NAME_MAX) String name,
        @Schema(maxLength = Slugs.MAX, pattern = Slugs.PATTERN) String slug) {
}
