package dev.atrium.common.security;

import java.util.Set;

/**
 * The caller as Atrium sees it. Users act through memberships; services only through their {@code atrium:*}
 * scopes and are never members; a platform admin is a user from the configured issuer flagged in every event.
 * An API key ({@code id} = the key id, {@code name} = the key's name, {@code scopes} = its key scopes) is bound to
 * {@code workspaceId} and acts with at most the rights its holder ({@code holderUserId}: its creator, or whoever last rotated it) holds
 * right now.
 */
public record Principal(Type type, String id, String email, boolean emailVerified, String name, Set<String> scopes,
        boolean platformAdmin, String workspaceId, String holderUserId) {

    public enum Type {
        USER, SERVICE, API_KEY
    }

    /** The security identity attribute that carries the principal built at authentication time (API key or JWT). */
    public static final String IDENTITY_ATTRIBUTE = "atrium.principal";

    public Principal(Type type, String id, String email, boolean emailVerified, String name, Set<String> scopes,
            boolean platformAdmin) {
        this(type, id, email, emailVerified, name, scopes, platformAdmin, null, null);
    }

    public static Principal apiKey(String keyId, String keyName, Set<String> keyScopes, String workspaceId,
            String holderUserId) {
        return new Principal(Type.API_KEY, keyId, null, false, keyName, Set.copyOf(keyScopes), false, workspaceId,
                holderUserId);
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

    public boolean isApiKey() {
        return type == Type.API_KEY;
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
        return (isService() ? "service:" : isApiKey() ? "api_key:" : "user:") + id;
    }

    public Actor actor() {
        if (isApiKey()) {
            return new Actor(id, "API_KEY", name, null, name, null);
        }
        return new Actor(id, isService() ? "SERVICE" : "USER", name, email, null, platformAdmin ? Boolean.TRUE : null);
    }
}
