package dev.atrium.invitation.dto;

/** {@code POST /v1/workspaces/invitations/accept}: the token in the body keeps it out of paths and logs. */
public record AcceptRequest(String token) {
}
