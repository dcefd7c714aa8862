package dev.atrium.invitation.dto;

import java.time.Instant;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.common.security.Actor;

/** An invitation as clients see it: never its token nor the token's hash. */
@Schema(name = "Invitation")
public record InvitationView(@Schema(enumeration = "invitation") String object, String id, String workspaceId,
        String email, @Schema(enumeration = { "admin", "member", "viewer" }) String role,
        @Schema(enumeration = { "pending", "accepted", "revoked", "expired", "declined" }) String status,
        Instant expiresAt, Actor invitedBy, Instant createdAt) {
}
