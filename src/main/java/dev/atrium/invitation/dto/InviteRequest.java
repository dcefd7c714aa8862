package dev.atrium.invitation.dto;

/** {@code POST /v1/workspaces/{id}/members/invite}. */
public record InviteRequest(String email, String role, Integer ttlSeconds) {
}
