package dev.atrium.common.security;

import java.util.Set;

/**
 * The caller as Atrium sees it. Users act through memberships; services only through their {@code atrium:*}
 * scopes and are never members; a platform admin is a user from the configured issuer flagged in every event.
 */
public record Principal(Type type, String id, String email, boolean emailVerified, String name, Set<String> scopes,
        boolean platformAdmin) {

    public enum Type {
        USER, SERVICE
    }

    public static final String SCOPE_WORKSPACES_READ = "atrium:workspaces:read";
    public static final String SCOPE_WORKSPACES_WRITE = "atrium:workspaces:write";
    public static final String SCOPE_EVENTS_READ = "atrium:events:read";
    public static final String SCOPE_ADMIN = "atrium:admin";

    public boolean isUser() {
        return type == Type.USER;
    }

    public boolean isService() {
        return type == Type.SERVICE;
    }

    /** Service scopes only (admin implies all, write implies read); scopes on a user token are ignored by construction (empty set). */
    public boolean hasScope(String scope) {
        if (!isService()) {
            return false;
        }
        return scopes.contains(scope) || scopes.contains(SCOPE_ADMIN)
                || (SCOPE_WORKSPACES_READ.equals(scope) && scopes.contains(SCOPE_WORKSPACES_WRITE));
    }

    /** The key that scopes idempotency records and audit actors: distinct per principal kind. */
    public String key() {
        return (isService() ? "service:" : "user:") + id;
    }

    public Actor actor() {
        return new Actor(id, isService() ? "SERVICE" : "USER", name, email, null, platformAdmin ? Boolean.TRUE : null);
    }
}
