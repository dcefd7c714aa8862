package dev.atrium.apikey;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

import dev.atrium.common.id.Ids;

/**
 * The API key token: {@code atr_<key id body><secret><crc32>}, all base62. The key id body is the {@code key_} id
 * without its prefix (it starts with the home cell's code), so a token names its key and cell without a lookup; the
 * secret holds 131 random bits; the CRC-32 lets secret scanners and the service reject typos without a lookup.
 */
public final class ApiKeyFormat {

    public static final String TOKEN_PREFIX = "atr_";
    static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    static final int SECRET_LENGTH = 22; // 22 base62 characters: 130.99 bits
    static final int CHECKSUM_LENGTH = 6; // 62^6 > 2^32
    public static final int TOKEN_LENGTH = TOKEN_PREFIX.length() + Ids.BODY_LENGTH + SECRET_LENGTH + CHECKSUM_LENGTH;
    /** The published pattern of an API key, for secret scanners. */
    public static final String REGEX = "atr_[0-9A-Za-z]{58}";
    public static final Pattern PATTERN = Pattern.compile(REGEX);
    /** Characters shown as {@code prefix}: the cell code and creation time of the key id, no secret bits. */
    static final int PREFIX_LENGTH = TOKEN_PREFIX.length() + 16;

    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeyFormat() {
    }

    /** A token split into its parts: the key id it names, its cell code and its secret. */
    public record Parsed(String keyId, String cellCode, String secret) {
    }

    public static String newSecret() {
        StringBuilder sb = new StringBuilder(SECRET_LENGTH);
        for (int i = 0; i < SECRET_LENGTH; i++) {
            sb.append(ALPHABET.charAt(RANDOM.nextInt(62)));
        }
        return sb.toString();
    }

    public static String token(String keyId, String secret) {
        String payload = TOKEN_PREFIX + keyId.substring("key_".length()) + secret;
        return payload + checksum(payload);
    }

    public static String prefix(String keyId) {
        return (TOKEN_PREFIX + keyId.substring("key_".length())).substring(0, PREFIX_LENGTH);
    }

    /** The parts of a well-formed token with a valid checksum; empty for anything else. */
    public static Optional<Parsed> parse(String token) {
        if (token == null || token.length() != TOKEN_LENGTH || !PATTERN.matcher(token).matches()) {
            return Optional.empty();
        }
        int checksumAt = TOKEN_LENGTH - CHECKSUM_LENGTH;
        String payload = token.substring(0, checksumAt);
        if (!checksum(payload).equals(token.substring(checksumAt))) {
            return Optional.empty();
        }
        String body = payload.substring(TOKEN_PREFIX.length(), TOKEN_PREFIX.length() + Ids.BODY_LENGTH);
        String keyId = "key_" + body;
        return Ids.cellCodeOf(keyId, "key")
                .map(cell -> new Parsed(keyId, cell, payload.substring(TOKEN_PREFIX.length() + Ids.BODY_LENGTH)));
    }

    /** The token of an {@code Authorization: Bearer atr_...} header, or {@code null} when it carries no API key. */
    public static String bearerKey(String authorization) {
        if (authorization == null || authorization.length() < 7
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.startsWith(TOKEN_PREFIX) ? token : null;
    }

    static String checksum(String payload) {
        CRC32 crc = new CRC32();
        crc.update(payload.getBytes(StandardCharsets.US_ASCII));
        long value = crc.getValue();
        char[] out = new char[CHECKSUM_LENGTH];
        for (int i = CHECKSUM_LENGTH - 1; i >= 0; i--) {
            out[i] = ALPHABET.charAt((int) (value % 62));
            value /= 62;
        }
        return new String(out);
    }
}
