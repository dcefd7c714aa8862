package dev.atrium.invitation.dto;

import java.time.Instant;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.common.security.Actor;

/** The answer to an invite or a resend: the only place the token is ever shown. */
@Schema(name = "InvitationWithToken")
public record CreatedInvitationView(@Schema(enumeration = "invitation") String object, String id, String workspaceId,
        String email, @Schema(enumeration = { "admin", "member", "viewer" }) String role,
        @Schema(enumeration = { "pending", "accepted", "revoked", "expired", "declined" }) String status,
        Instant expiresAt, Actor invitedBy, Instant createdAt,
        @Schema(description = "Shown once; `atrinv_<cell code><26 base62>`", pattern = "^atrinv_[0-9A-Za-z]{30}$")
        String token) {
}
