package dev.atrium.member.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "TransferOwnershipRequest")
public record TransferOwnershipRequest(
        @Schema(required = true, description = "The `mem_` id of the member who becomes the owner") String memberId) {
}
