package dev.atrium.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import jakarta.inject.Singleton;

/**
 * The spans the application under test finished, kept in memory: the test profile's span exporter (the OTLP exporter
 * is not created while one exists). Holds the newest spans only, so a whole test run does not fill the heap.
 */
@Singleton
public class RecordedSpans implements SpanExporter {

    private static final int KEPT = 20_000;

    private final ConcurrentLinkedDeque<SpanData> spans = new ConcurrentLinkedDeque<>();
    private final AtomicInteger size = new AtomicInteger();

    @Override
    public CompletableResultCode export(Collection<SpanData> batch) {
        for (SpanData span : batch) {
            spans.addLast(span);
            if (size.incrementAndGet() > KEPT && spans.pollFirst() != null) {
                size.decrementAndGet();
            }
        }
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }

    /** The finished spans of the trace {@code traceId}, in the order they ended. */
    public List<SpanData> trace(String traceId) {
        List<SpanData> out = new ArrayList<>();
        for (SpanData s : spans) {
            if (s.getTraceId().equals(traceId)) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * Waits (up to {@code timeout}) until the trace holds a span matching {@code until}, and answers the trace; spans
     * reach the exporter in batches, a little after they end.
     */
    public List<SpanData> await(String traceId, Predicate<List<SpanData>> until, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<SpanData> trace = trace(traceId);
            if (until.test(trace) || System.nanoTime() > deadline) {
                return trace;
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return trace;
            }
        }
    }
}
