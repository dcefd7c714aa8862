package dev.atrium.member.dto;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.common.security.Actor;

/** The caller's member record and what its role allows, so downstream services can decide without a role table. */
@Schema(name = "MyMembership")
public record MyMembershipView(@Schema(enumeration = "member") String object, String id, String userId,
        @Schema(nullable = true) String email, @Schema(nullable = true) String name,
        @Schema(enumeration = { "owner", "admin", "member", "viewer" }) String role, Instant joinedAt,
        @Schema(nullable = true) Actor invitedBy,
        @Schema(description = "Permission names the role grants, for example `members:read`") List<String> permissions) {
}
