package dev.atrium.common.trace;

import java.util.Map;
import java.util.function.Supplier;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Spans for work that runs after the request that asked for it (provisioning runs): the request's W3C
 * {@code traceparent} is kept with the work, and each piece of it later runs in a span of that trace, linked to the
 * request's span, so one trace shows a create from the caller through every step and the dataplane however much later
 * the steps run. SQL and HTTP calls made while such a span runs are its children (the span is current on the Vert.x
 * context the work runs on).
 */
@ApplicationScoped
public class Traces {

    private static final TextMapGetter<String> TRACEPARENT = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String carrier) {
            return java.util.List.of("traceparent");
        }

        @Override
        public String get(String carrier, String key) {
            return "traceparent".equals(key) ? carrier : null;
        }
    };

    private final Tracer tracer;

    public Traces(Tracer tracer) {
        this.tracer = tracer;
    }

    /** The current span's {@code traceparent} (W3C), or {@code null} outside any trace. */
    public static String currentTraceparent() {
        SpanContext span = Span.current().getSpanContext();
        if (!span.isValid()) {
            return null;
        }
        return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex();
    }

    /** The span context a {@code traceparent} names, or an invalid one when it is absent or malformed. */
    static SpanContext parse(String traceparent) {
        if (traceparent == null) {
            return SpanContext.getInvalid();
        }
        Context extracted = W3CTraceContextPropagator.getInstance().extract(Context.root(), traceparent, TRACEPARENT);
        return Span.fromContext(extracted).getSpanContext();
    }

    /**
     * Runs {@code work} in a span named {@code name}, a child of (and linked to) the span {@code traceparent} names,
     * or a new trace when it names none. The span ends when the work does, with an error status if it failed.
     */
    public <T> Uni<T> inSpan(String name, String traceparent, Map<String, String> attributes,
            Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> {
            SpanContext origin = parse(traceparent);
            AttributesBuilder tags = Attributes.builder();
            attributes.forEach(tags::put);
            SpanBuilder builder = tracer.spanBuilder(name).setAllAttributes(tags.build());
            if (origin.isValid()) {
                builder.setParent(Context.root().with(Span.wrap(origin))).addLink(origin);
            } else {
                builder.setNoParent();
            }
            Span span = builder.startSpan();
            Scope scope = Context.root().with(span).makeCurrent();
            Uni<T> running;
            try {
                running = work.get();
            } catch (RuntimeException e) {
                span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
                span.end();
                scope.close();
                throw e;
            }
            return running.onTermination().invoke((item, failure, cancelled) -> {
                if (failure != null) {
                    span.setStatus(StatusCode.ERROR, failure.getClass().getSimpleName());
                }
                span.end();
                scope.close();
            });
        });
    }
}
