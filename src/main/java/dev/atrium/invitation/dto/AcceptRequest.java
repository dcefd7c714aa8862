package dev.atrium.invitation.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** {@code POST /v1/workspaces/invitations/accept}: the token in the body keeps it out of paths and logs. */
@Schema(name = "AcceptRequest")
public record AcceptRequest(@Schema(required = true, description = "The invitation's token") String token) {
}
