package dev.atrium.common.paging;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import dev.atrium.common.problem.ApiException;
import dev.atrium.common.problem.FieldError;

/**
 * Cursor pagination: {@code limit} (1..1000) and an opaque cursor that names the list and sort it was issued for,
 * so a cursor replayed against another query is 400 {@code invalid_cursor} rather than a silently wrong page.
 */
public final class Paging {

    public static final int MAX_LIMIT = 1000;
    private static final char SEP = '\u001f';

    private Paging() {
    }

    public static int limit(String raw, int defaultLimit) {
        if (raw == null || raw.isEmpty()) {
            return defaultLimit;
        }
        try {
            int value = Integer.parseInt(raw);
            if (value >= 1 && value <= MAX_LIMIT) {
                return value;
            }
        } catch (NumberFormatException e) {
            // falls through to the problem below
        }
        throw ApiException.validation(List.of(new FieldError("limit", "must be an integer from 1 to " + MAX_LIMIT)));
    }

    /** Encodes the position after the last row of a page: the list's name, then the sort key values. */
    public static String encode(String scope, String... values) {
        StringBuilder sb = new StringBuilder(scope);
        for (String v : values) {
            sb.append(SEP).append(v == null ? "" : v);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The sort key values of a cursor issued for {@code scope}, exactly {@code arity} of them, or 400. */
    public static List<String> decode(String cursor, String scope, int arity) {
        try {
            String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            List<String> parts = new ArrayList<>();
            int start = 0;
            for (int i = 0; i <= raw.length(); i++) {
                if (i == raw.length() || raw.charAt(i) == SEP) {
                    parts.add(raw.substring(start, i));
                    start = i + 1;
                }
            }
            if (parts.size() != arity + 1 || !parts.get(0).equals(scope)) {
                throw ApiException.invalidCursor();
            }
            return parts.subList(1, parts.size());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalidCursor();
        }
    }

    /** A timestamp sort key of a decoded cursor; a cursor that does not hold one is 400 {@code invalid_cursor}. */
    public static Instant instant(String value) {
        try {
            return Instant.parse(value);
        } catch (RuntimeException e) {
            throw ApiException.invalidCursor();
        }
    }

    /** The {@code Link} header announcing the next page: the same request with {@code cursor} replaced. */
    public static String nextLink(String path, String query, String cursor) {
        StringBuilder sb = new StringBuilder(path).append('?');
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                if (!pair.isEmpty() && !pair.startsWith("cursor=")) {
                    sb.append(pair).append('&');
                }
            }
        }
        sb.append("cursor=").append(URLEncoder.encode(cursor, StandardCharsets.UTF_8));
        return "<" + sb + ">; rel=\"next\"";
    }
}
