package dev.atrium.apikey;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Secrets are stored only as HMAC-SHA-256 under a server-side pepper: with 131 random bits a keyed hash is enough,
 * and it costs microseconds per request where a password hash would cost more than the request itself.
 */
@ApplicationScoped
public class ApiKeySecrets {

    private final SecretKeySpec pepper;

    public ApiKeySecrets(@ConfigProperty(name = "atrium.api-keys.pepper") String pepper) {
        if (pepper == null || pepper.length() < 32) {
            throw new IllegalStateException("atrium.api-keys.pepper must be at least 32 characters");
        }
        this.pepper = new SecretKeySpec(pepper.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    public byte[] hash(String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(pepper);
            return mac.doFinal(secret.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Constant-time: how much of a hash matched never shows in the response time. */
    public boolean matches(String secret, byte[] stored) {
        return stored != null && MessageDigest.isEqual(hash(secret), stored);
    }
}
