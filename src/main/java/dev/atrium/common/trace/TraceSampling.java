package dev.atrium.common.trace;

import java.util.List;
import java.util.Optional;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;

/**
 * Which spans are recorded. With nowhere to send them (no OTLP endpoint, {@code ATRIUM_OTLP_ENDPOINT}, and no span
 * exporter of the application's own, as the tests have), none is, not even when a caller's trace is sampled: a span
 * that is not recorded costs little more than its ids, and its trace context is still read from callers, passed on to
 * peer cells and the dataplane and logged, so logs of every cell can be joined by trace id. With an exporter, a
 * caller's decision is followed and a trace that starts here is recorded with {@code ATRIUM_TRACE_SAMPLE_RATIO} (1.0).
 */
@Singleton
public class TraceSampling implements Sampler {

    private final Sampler delegate;

    public TraceSampling(@ConfigProperty(name = "atrium.tracing.otlp-endpoint") Optional<String> otlpEndpoint,
            @ConfigProperty(name = "atrium.tracing.sample-ratio", defaultValue = "1.0") double ratio,
            Instance<SpanExporter> exporters) {
        this.delegate = sampler(endpointSet(otlpEndpoint.orElse(null)) || !exporters.isUnsatisfied(), ratio);
    }

    /** Whether {@code atrium.tracing.otlp-endpoint} names somewhere to send spans. */
    static boolean endpointSet(String endpoint) {
        return endpoint != null && !endpoint.isBlank();
    }

    /** Nothing when there is nowhere to send spans; else a caller's decision, or {@code ratio} of new traces. */
    static Sampler sampler(boolean exporting, double ratio) {
        if (ratio < 0 || ratio > 1) {
            throw new IllegalStateException("atrium.tracing.sample-ratio must be between 0 and 1, got " + ratio);
        }
        return exporting ? Sampler.parentBased(Sampler.traceIdRatioBased(ratio)) : Sampler.alwaysOff();
    }

    @Override
    public SamplingResult shouldSample(Context parentContext, String traceId, String name, SpanKind spanKind,
            Attributes attributes, List<LinkData> parentLinks) {
        return delegate.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
    }

    @Override
    public String getDescription() {
        return "Atrium(" + delegate.getDescription() + ")";
    }
}
