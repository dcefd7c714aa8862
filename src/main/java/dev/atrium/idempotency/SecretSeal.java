package dev.atrium.idempotency;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * One-time secrets (API key secrets, invitation tokens) in idempotent replays. A replay must show the same secret,
 * so the stored copy of the reply carries it sealed (AES-256-GCM, key {@code atrium.idempotency.encryption-key}) in
 * {@code <field>_sealed}, opened again when the reply is replayed. A record sealed under an older key replays with
 * the field {@code null}.
 */
@ApplicationScoped
public class SecretSeal {

    private static final String SUFFIX = "_sealed";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    public SecretSeal(@ConfigProperty(name = "atrium.idempotency.encryption-key") String key) {
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
    }

    /** The copy of {@code body} to store: each of {@code fields} sealed under {@code <field>_sealed}. */
    public JsonNode sealed(JsonNode body, Set<String> fields) {
        if (fields.isEmpty() || !(body instanceof ObjectNode object)) {
            return body;
        }
        ObjectNode copy = object.deepCopy();
        for (String field : fields) {
            JsonNode secret = copy.remove(field);
            if (secret != null && secret.isTextual()) {
                copy.put(field + SUFFIX, seal(secret.asText()));
            }
        }
        return copy;
    }

    /** A stored body with every sealed field opened again ({@code null} when sealed under another key). */
    public JsonNode opened(JsonNode stored) {
        if (!(stored instanceof ObjectNode object)) {
            return stored;
        }
        ObjectNode body = object.deepCopy();
        List<String> sealedFields = new ArrayList<>();
        body.fieldNames().forEachRemaining(name -> {
            if (name.endsWith(SUFFIX)) {
                sealedFields.add(name);
            }
        });
        for (String sealedField : sealedFields) {
            String secret = open(body.remove(sealedField).asText());
            body.put(sealedField.substring(0, sealedField.length() - SUFFIX.length()), secret);
        }
        return body;
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
