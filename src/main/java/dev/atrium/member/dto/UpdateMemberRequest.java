package dev.atrium.member.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Documents the merge patch of a member; the service reads the raw patch to tell absent from null. */
@Schema(name = "UpdateMemberRequest")
public record UpdateMemberRequest(
        @Schema(enumeration = { "admin", "member", "viewer" },
                description = "`owner` is only ever given by transferring ownership") String role) {
}
