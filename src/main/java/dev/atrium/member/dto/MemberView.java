package dev.atrium.member.dto;

import java.time.Instant;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.common.security.Actor;

@Schema(name = "Member")
public record MemberView(@Schema(enumeration = "member") String object, String id, String userId,
        @Schema(nullable = true) String email, @Schema(nullable = true) String name,
        @Schema(enumeration = { "owner", "admin", "member", "viewer" }) String role, Instant joinedAt,
        @Schema(nullable = true, description = "Who invited the member; null for the workspace's creator")
        Actor invitedBy) {
}
