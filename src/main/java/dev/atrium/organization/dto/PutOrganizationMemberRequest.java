package dev.atrium.organization.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "PutOrganizationMemberRequest")
public record PutOrganizationMemberRequest(
        @Schema(required = true, enumeration = { "owner", "admin", "member" }) String role, String email,
        String name) {
}
