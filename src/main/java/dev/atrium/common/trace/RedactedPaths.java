package dev.atrium.common.trace;

import dev.atrium.common.web.RequestIds;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import jakarta.inject.Singleton;

/**
 * Keeps secrets in paths out of spans: a server span records the path it was called on, and an invitation's token
 * travels in the path of its accept and decline calls. The path is masked as the logs mask it ({@link RequestIds}),
 * when the span starts, before any exporter can see it.
 */
@Singleton
public class RedactedPaths implements SpanProcessor {

    static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    static final AttributeKey<String> HTTP_TARGET = AttributeKey.stringKey("http.target");

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {
        if (!span.isRecording()) {
            return;
        }
        mask(span, URL_PATH);
        mask(span, HTTP_TARGET);
    }

    private static void mask(ReadWriteSpan span, AttributeKey<String> key) {
        String path = span.getAttribute(key);
        if (path != null && path.contains("/invitations/")) {
            span.setAttribute(key, RequestIds.redact(path));
        }
    }

    @Override
    public boolean isStartRequired() {
        return true;
    }

    @Override
    public void onEnd(ReadableSpan span) {
    }

    @Override
    public boolean isEndRequired() {
        return false;
    }
}
