package dev.atrium.organization.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.common.Slugs;
import dev.atrium.common.text.Text;

@Schema(name = "CreateOrganizationRequest")
public record CreateOrganizationRequest(@Schema(required = true, maxLength = Text.NAME_MAX) String name,
        @Schema(maxLength = Slugs.MAX, pattern = Slugs.PATTERN) String slug) {
}
