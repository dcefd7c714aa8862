package dev.atrium.organization.dto;

import java.time.Instant;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.common.security.Actor;

@Schema(name = "Organization")
public record OrganizationView(@Schema(enumeration = "organization") String object, String id, String name,
        String slug, boolean personal, @Schema(description = "The organization's home cell") String region,
        Instant createdAt, Instant updatedAt, Actor createdBy, Actor updatedBy) {
}
