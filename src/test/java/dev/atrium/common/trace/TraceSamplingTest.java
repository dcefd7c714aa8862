package dev.atrium.common.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;

/**
 * Which spans a cell records: none without anywhere to send them (the default: no OTLP endpoint), however the caller
 * sampled; with an exporter, a caller's decision is followed and {@code atrium.tracing.sample-ratio} of the traces
 * that start here are recorded.
 */
class TraceSamplingTest {

    private static final IdGenerator IDS = IdGenerator.random();

    @Test
    void withoutAnExporterNothingIsRecordedEvenForASampledCaller() {
        Sampler off = TraceSampling.sampler(false, 1.0);
        assertEquals(SamplingDecision.DROP, decide(off, caller(true)));
        assertEquals(SamplingDecision.DROP, decide(off, Context.root()));
    }

    @Test
    void withAnExporterTheCallersDecisionIsFollowedAndTheRatioAppliesToNewTraces() {
        Sampler all = TraceSampling.sampler(true, 1.0);
        assertEquals(SamplingDecision.RECORD_AND_SAMPLE, decide(all, Context.root()));
        assertEquals(SamplingDecision.RECORD_AND_SAMPLE, decide(all, caller(true)));
        assertEquals(SamplingDecision.DROP, decide(all, caller(false)));

        Sampler none = TraceSampling.sampler(true, 0.0);
        assertEquals(SamplingDecision.DROP, decide(none, Context.root()));
        assertEquals(SamplingDecision.RECORD_AND_SAMPLE, decide(none, caller(true)), "a sampled caller is followed");

        Sampler tenth = TraceSampling.sampler(true, 0.1);
        int sampled = 0;
        for (int i = 0; i < 10_000; i++) {
            if (decide(tenth, Context.root()) == SamplingDecision.RECORD_AND_SAMPLE) {
                sampled++;
            }
        }
        assertEquals(1000, sampled, 150, "about a tenth of new traces: " + sampled);
    }

    @Test
    void aRatioOutsideZeroToOneIsRefused() {
        assertThrows(IllegalStateException.class, () -> TraceSampling.sampler(true, 1.5));
        assertThrows(IllegalStateException.class, () -> TraceSampling.sampler(false, -0.1));
    }

    private static Context caller(boolean sampled) {
        SpanContext parent = SpanContext.createFromRemoteParent(IDS.generateTraceId(), IDS.generateSpanId(),
                sampled ? TraceFlags.getSampled() : TraceFlags.getDefault(), TraceState.getDefault());
        return Context.root().with(Span.wrap(parent));
    }

    private static SamplingDecision decide(Sampler sampler, Context parent) {
        return sampler.shouldSample(parent, IDS.generateTraceId(), "GET /v1/me", SpanKind.SERVER,
                Attributes.empty(), List.of()).getDecision();
    }
}
