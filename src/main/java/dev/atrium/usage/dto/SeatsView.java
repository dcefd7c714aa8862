package dev.atrium.usage.dto;

/** Seats in use (members plus pending, unexpired invitations) against the most the workspace may hold. */
public record SeatsView(long used, long limit) {
}
