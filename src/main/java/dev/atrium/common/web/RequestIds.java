package dev.atrium.common.web;

import java.util.regex.Pattern;

import io.vertx.core.http.HttpServerRequest;

/** Request ids and the request path as it may appear in logs and problem bodies. */
public final class RequestIds {

    public static final String HEADER = "Request-Id";
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final Pattern SECRET_SEGMENT = Pattern.compile("/invitations/(?!pending|accept)[^/]+/(accept|decline)");

    private RequestIds() {
    }

    /**
     * A client-sent id is echoed only when it is short and plain (1 to 128 of A-Z a-z 0-9 . _ : -), so it can never
     * inject into logs or headers. Checked by a loop: it runs on every request.
     */
    public static boolean acceptable(String value) {
        if (value == null || value.isEmpty() || value.length() > 128) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_'
                    || c == ':' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /**
     * A new request id: {@code req_} and 32 hexadecimal digits. It names a request in logs and answers and guards
     * nothing, so it comes from a fast random source, not a secure one.
     */
    public static String generate() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        StringBuilder id = new StringBuilder(36).append("req_");
        for (int i = 0; i < 32; i++) {
            id.append(HEX[random.nextInt(16)]);
        }
        return id.toString();
    }

    public static String of(HttpServerRequest request) {
        String id = request.getHeader(HEADER);
        return acceptable(id) ? id : null;
    }

    /** The path without query, with invitation tokens masked: tokens in paths must never reach logs. */
    public static String safePath(HttpServerRequest request) {
        return redact(request.path());
    }

    public static String redact(String path) {
        if (path == null || !path.contains("/invitations/")) {
            return path;
        }
        return SECRET_SEGMENT.matcher(path).replaceAll("/invitations/[redacted]/$1");
    }
}
