package dev.atrium.common.web;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.atrium.common.problem.ApiException;
import jakarta.enterprise.context.ApplicationScoped;

/** Strong ETags over the representation itself, so anything a client can see changing changes the tag. */
@ApplicationScoped
public class ETags {

    private final ObjectMapper json;

    public ETags(ObjectMapper json) {
        this.json = json;
    }

    public String of(Object view) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(json.writeValueAsBytes(view));
            return "\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 27) + "\"";
        } catch (NoSuchAlgorithmException | JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code If-None-Match}: true when the client's copy is current (answer 304). */
    public static boolean matchesAny(String header, String etag) {
        if (header == null) {
            return false;
        }
        for (String candidate : header.split(",")) {
            String c = candidate.trim();
            if (c.startsWith("W/")) {
                c = c.substring(2);
            }
            if (c.equals("*") || c.equals(etag)) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code If-Match}: absent passes; present and stale is 412. A {@code null} tag means there is no current
     * representation, which no {@code If-Match} (not even {@code *}) matches (RFC 9110, 13.1.1).
     */
    public static void requireMatch(String ifMatch, String etag) {
        if (ifMatch != null && (etag == null || !matchesAny(ifMatch, etag))) {
            throw ApiException.preconditionFailed();
        }
    }
}
