package dev.atrium.member.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The outcome of a transfer: both members as they are now (the previous owner is an admin). */
@Schema(name = "OwnershipTransfer")
public record OwnershipTransferView(@Schema(enumeration = "ownership_transfer") String object, String workspaceId,
        MemberView owner, MemberView previousOwner) {
}
