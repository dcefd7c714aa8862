package dev.atrium.cell;

import dev.atrium.common.security.Role;

/**
 * An organization as its home cell describes it to one caller: enough to keep a local reference row (so a workspace
 * here can point at it) and the caller's role there ({@code null} for services, or a user who is not a member).
 */
public record RemoteOrganization(String id, String name, String slug, boolean personal, String homeRegion,
        Role role) {
}
