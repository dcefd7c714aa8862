package dev.atrium.common.web;

import java.util.regex.Pattern;

import io.vertx.core.http.HttpServerRequest;

/** Request ids and the request path as it may appear in logs and problem bodies. */
public final class RequestIds {

    public static final String HEADER = "Request-Id";
    /** A client-sent id is echoed only when it is short and plain, so it can never inject into logs or headers. */
    private static final Pattern ACCEPTABLE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Pattern SECRET_SEGMENT = Pattern.compile("/invitations/(?!pending|accept)[^/]+/(accept|decline)");

    private RequestIds() {
    }

    public static boolean acceptable(String value) {
        return value != null && ACCEPTABLE.matcher(value).matches();
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
        if (path == null) {
            return null;
        }
        return SECRET_SEGMENT.matcher(path).replaceAll("/invitations/[redacted]/$1");
    }
}
