package dev.atrium.common.security.token;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;

import dev.atrium.common.security.Principal;

/**
 * Tokens already verified, so a client that sends the same token on every request pays for one signature check, not
 * one per request. Keyed on the SHA-256 of the token (the token itself is never kept); an entry lives until the token
 * expires or {@code maxTtl} passes, whichever is first, and is only used while the key that verified it is still
 * trusted. Bounded: when full, expired entries go first, then an arbitrary tenth. A plain map, nothing reflective, so
 * it behaves the same in a native image.
 */
final class VerifiedTokens {

    /** What a verified token stands for, the issuer and key that vouched for it, and until when. */
    record Entry(Principal principal, String issuer, String keyThumbprint, Instant until) {
    }

    /** One per thread: a MessageDigest is not thread-safe, and getInstance searches the security providers. */
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    private final int maxEntries;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    VerifiedTokens(int maxEntries) {
        this.maxEntries = maxEntries;
    }

    Entry get(String hash, Instant now) {
        Entry entry = entries.get(hash);
        if (entry == null) {
            return null;
        }
        if (!now.isBefore(entry.until())) {
            entries.remove(hash, entry);
            return null;
        }
        return entry;
    }

    void put(String hash, Entry entry, Instant now) {
        if (maxEntries == 0 || !now.isBefore(entry.until())) {
            return;
        }
        if (entries.size() >= maxEntries) {
            evict(now);
        }
        entries.put(hash, entry);
    }

    int size() {
        return entries.size();
    }

    private void evict(Instant now) {
        entries.values().removeIf(e -> !now.isBefore(e.until()));
        int excess = entries.size() - maxEntries + Math.max(1, maxEntries / 10);
        Iterator<String> keys = entries.keySet().iterator();
        while (excess-- > 0 && keys.hasNext()) {
            keys.next();
            keys.remove();
        }
    }

    /**
     * The token's SHA-256 as a 32-character string (one char per byte, Latin-1, so the JVM keeps it compact). It runs on
     * every request, so there is no text encoding: the key is never shown.
     */
    static String hash(String token) {
        byte[] digest = SHA_256.get().digest(token.getBytes(StandardCharsets.US_ASCII));
        return new String(digest, StandardCharsets.ISO_8859_1);
    }
}
