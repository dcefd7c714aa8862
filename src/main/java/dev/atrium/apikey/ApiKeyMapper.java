package dev.atrium.apikey;

import dev.atrium.apikey.dto.ApiKeySecretView;
import dev.atrium.apikey.dto.ApiKeyView;

/** Entities never cross HTTP: the one place a key becomes its view, which never carries a secret or hash. */
public final class ApiKeyMapper {
    private ApiKeyMapper() {
    }

    public static ApiKeyView view(ApiKey k) {
        return new ApiKeyView("api_key", k.id, k.name, k.prefix, k.scopeList(), k.createdAt, k.createdBy,
                k.lastUsedAt, k.expiresAt, k.revokedAt);
    }

    /** The answer to a create or a rotation: the key and, this one time, its secret. */
    public static ApiKeySecretView withSecret(ApiKey k, String secret) {
        return new ApiKeySecretView("api_key", k.id, k.name, k.prefix, k.scopeList(), k.createdAt, k.createdBy,
                k.lastUsedAt, k.expiresAt, k.revokedAt, secret);
    }

    /** The version does not move when only {@code last_used_at} does, so the ETag names both. */
    static String etag(ApiKey k) {
        long used = k.lastUsedAt == null ? 0 : k.lastUsedAt.getEpochSecond() * 1_000_000 + k.lastUsedAt.getNano() / 1000;
        return "\"" + k.version + "." + Long.toString(used, 36) + "\"";
    }
}
