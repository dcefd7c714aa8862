package dev.atrium.organization.dto;

import java.time.Instant;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "OrganizationMember")
public record OrganizationMemberView(@Schema(enumeration = "organization_member") String object,
        String organizationId, String userId, @Schema(nullable = true) String email,
        @Schema(nullable = true) String name,
        @Schema(enumeration = { "owner", "admin", "member" }) String role, Instant createdAt, Instant updatedAt) {
}
