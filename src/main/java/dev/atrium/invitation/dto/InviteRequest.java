package dev.atrium.invitation.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** {@code POST /v1/workspaces/{id}/members/invite}. */
@Schema(name = "InviteRequest")
public record InviteRequest(@Schema(required = true, maxLength = 254, format = "email") String email,
        @Schema(required = true, enumeration = { "admin", "member", "viewer" }) String role,
        @Schema(minimum = "60", maximum = "2592000", description = "How long the invitation stays open (default 7 days)")
        Integer ttlSeconds) {
}
