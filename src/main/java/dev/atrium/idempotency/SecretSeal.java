package dev.atrium.idempotency;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;

/**
 * One-time secrets (API key secrets, invitation tokens) in idempotent replays. The idempotency record stores what
 * leaves the transaction, and a replay must show the same secret, so that body carries the secret sealed
 * (AES-256-GCM, key {@code atrium.idempotency.encryption-key}) in {@code <field>_sealed}; it is opened only on the
 * way out, after the record is written. A record sealed under an older key replays with the field {@code null}.
 */
@ApplicationScoped
public class SecretSeal {

    private static final String SUFFIX = "_sealed";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;
    private final ObjectMapper json;

    public SecretSeal(@ConfigProperty(name = "atrium.idempotency.encryption-key") String key, ObjectMapper json) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(key.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("atrium.idempotency.encryption-key must be base64");
        }
        if (raw.length != 32) {
            throw new IllegalStateException("atrium.idempotency.encryption-key must be 32 bytes (base64)");
        }
        this.key = new SecretKeySpec(raw, "AES");
        this.json = json;
    }

    /** The body to store and send: {@code view} with {@code secret} sealed under {@code <field>_sealed}. */
    public ObjectNode sealed(Object view, String field, String secret) {
        ObjectNode body = json.valueToTree(view);
        body.remove(field);
        body.put(field + SUFFIX, seal(secret));
        return body;
    }

    /** Replaces the sealed field of a (possibly replayed) response by the secret itself. */
    public Response open(Response response, String field) {
        String sealedField = field + SUFFIX;
        if (!(response.getEntity() instanceof String text) || !text.contains(sealedField)) {
            return response;
        }
        try {
            JsonNode node = json.readTree(text);
            if (!(node instanceof ObjectNode body) || !body.hasNonNull(sealedField)) {
                return response;
            }
            String secret = open(body.remove(sealedField).asText());
            body.put(field, secret);
            return Response.fromResponse(response).entity(json.writeValueAsString(body)).build();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored response unreadable", e);
        }
    }

    private String seal(String secret) {
        try {
            byte[] iv = new byte[12];
            RANDOM.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
            byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[iv.length + sealed.length];
            System.arraycopy(iv, 0, out, 0, iv.length);
            System.arraycopy(sealed, 0, out, iv.length, sealed.length);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private String open(String sealed) {
        try {
            byte[] in = Base64.getUrlDecoder().decode(sealed);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, in, 0, 12));
            return new String(cipher.doFinal(in, 12, in.length - 12), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return null;
        }
    }
}
