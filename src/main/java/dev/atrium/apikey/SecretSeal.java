package dev.atrium.apikey;

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

import dev.atrium.apikey.dto.ApiKeyView;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;

/**
 * The idempotency record stores what leaves the transaction, and a replay must show the same secret. So the body
 * that leaves the transaction carries the secret sealed (AES-256-GCM, key {@code atrium.idempotency.encryption-key});
 * it is opened only on the way out, after the record is written. A record sealed under an older key replays with
 * {@code secret: null}.
 */
@ApplicationScoped
public class SecretSeal {

    static final String SEALED = "secret_sealed";
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

    /** The body to store and send: the view with the secret sealed. */
    ObjectNode sealed(ApiKeyView view, String secret) {
        ObjectNode body = json.valueToTree(view);
        body.put(SEALED, seal(secret));
        return body;
    }

    /** Replaces the sealed secret of a (possibly replayed) response by the secret itself. */
    Response open(Response response) {
        if (!(response.getEntity() instanceof String text) || !text.contains(SEALED)) {
            return response;
        }
        try {
            JsonNode node = json.readTree(text);
            if (!(node instanceof ObjectNode body) || !body.hasNonNull(SEALED)) {
                return response;
            }
            String secret = open(body.remove(SEALED).asText());
            body.put("secret", secret);
            return Response.fromResponse(response).entity(json.writeValueAsString(body)).build();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored api key response unreadable", e);
        }
    }

    private String seal(String secret) {
        try {
            byte[] iv = new byte[12];
            RANDOM.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
            byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.US_ASCII));
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
            return new String(cipher.doFinal(in, 12, in.length - 12), StandardCharsets.US_ASCII);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return null;
        }
    }
}
