package dev.atrium.common.id;

import java.security.SecureRandom;
import java.util.Optional;

/**
 * Resource ids: {@code <prefix>_<cell code:4><millis:9><random:17>}, all base62 with a fixed width, so ids of one
 * cell sort by creation time, carry 101 random bits, and name their home cell without a lookup.
 */
public final class Ids {

    static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    public static final int CELL_CODE_LENGTH = 4;
    private static final int TIME_LENGTH = 9;
    private static final int RANDOM_LENGTH = 17;
    public static final int BODY_LENGTH = CELL_CODE_LENGTH + TIME_LENGTH + RANDOM_LENGTH;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    public static String generate(String prefix, String cellCode) {
        StringBuilder sb = new StringBuilder(prefix.length() + 1 + BODY_LENGTH);
        sb.append(prefix).append('_').append(cellCode);
        appendFixed(sb, System.currentTimeMillis(), TIME_LENGTH);
        appendRandom(sb);
        return sb.toString();
    }

    /**
     * {@link #RANDOM_LENGTH} uniform base62 digits from one draw of random bytes (one call into the shared
     * generator per id instead of one per digit): a byte below 248 gives the digit {@code byte % 62}; the 8 values
     * above are skipped, so every digit is equally likely.
     */
    private static void appendRandom(StringBuilder sb) {
        byte[] bytes = new byte[RANDOM_LENGTH + 15];
        int digits = 0;
        while (digits < RANDOM_LENGTH) {
            RANDOM.nextBytes(bytes);
            for (int i = 0; i < bytes.length && digits < RANDOM_LENGTH; i++) {
                int b = bytes[i] & 0xff;
                if (b < 248) {
                    sb.append(ALPHABET.charAt(b % 62));
                    digits++;
                }
            }
        }
    }

    /** The cell code of a well-formed id with the expected prefix; empty for anything else. */
    public static Optional<String> cellCodeOf(String id, String prefix) {
        int start = prefix.length() + 1;
        if (id == null || id.length() != start + BODY_LENGTH || !id.startsWith(prefix)
                || id.charAt(prefix.length()) != '_') {
            return Optional.empty();
        }
        for (int i = start; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')) { // ALPHABET
                return Optional.empty();
            }
        }
        return Optional.of(id.substring(start, start + CELL_CODE_LENGTH));
    }

    /** A stable 4-character code per region name, so every cell derives every other cell's code from config. */
    public static String cellCode(String region) {
        long h = 1125899906842597L;
        for (int i = 0; i < region.length(); i++) {
            h = 31 * h + region.charAt(i);
        }
        h ^= (h >>> 29);
        StringBuilder sb = new StringBuilder();
        appendFixed(sb, Math.floorMod(h, 62L * 62 * 62 * 62), CELL_CODE_LENGTH);
        return sb.toString();
    }

    private static void appendFixed(StringBuilder sb, long value, int width) {
        char[] out = new char[width];
        for (int i = width - 1; i >= 0; i--) {
            out[i] = ALPHABET.charAt((int) (value % 62));
            value /= 62;
        }
        sb.append(out);
    }
}
