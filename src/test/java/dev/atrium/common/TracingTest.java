package dev.atrium.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Db;
import dev.atrium.support.FakeDataplane;
import dev.atrium.support.RecordedSpans;
import dev.atrium.support.Tokens;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;

/**
 * One trace from the caller through the service, its database and the dataplane: a create sent with the caller's
 * W3C {@code traceparent} yields, in the caller's trace, the server span named by the route, the SQL the request ran
 * as its children, every saga step (run later, on other contexts) linked to the request, and the step's call to the
 * dataplane, whose {@code traceparent} the dataplane received.
 */
@QuarkusTest
class TracingTest {

    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    RecordedSpans spans;
    @Inject
    Db db;

    static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    @Test
    void aCreateIsOneTraceFromTheCallerThroughTheStepsToTheDataplane() {
        String traceId = hex(16);
        String callerSpan = hex(8);
        Response created = Api.as(Tokens.user(Tokens.unique("tracer")))
                .header("traceparent", "00-" + traceId + "-" + callerSpan + "-01")
                .header("Prefer", "wait=10").body(Map.of("name", Tokens.unique("Traced")))
                .post("/v1/workspaces");
        created.then().statusCode(201);
        String id = created.jsonPath().getString("id");
        String run = created.jsonPath().getString("provisioning_run_id");

        Predicate<List<SpanData>> complete = trace -> named(trace, "provisioning step create/activate") != null
                && named(trace, "POST /v1/workspaces") != null
                && named(trace, "PUT /test-dataplane/workspaces/{id}") != null;
        List<SpanData> trace = spans.await(traceId, complete, Duration.ofSeconds(10));
        String names = trace.stream().map(s -> s.getKind() + " " + s.getName() + " " + s.getSpanId() + " <- "
                + s.getParentSpanId()).collect(Collectors.joining("\n"));

        // The request: a server span named by its route template, a child of the caller's span.
        SpanData server = trace.stream().filter(s -> s.getKind() == SpanKind.SERVER
                && s.getName().equals("POST /v1/workspaces")).findFirst().orElseThrow(() -> new AssertionError(names));
        assertEquals(callerSpan, server.getParentSpanId());
        assertEquals("/v1/workspaces", server.getAttributes().get(AttributeKey.stringKey("http.route")));
        assertEquals("user", server.getAttributes().get(AttributeKey.stringKey("atrium.principal.kind")));

        // Its SQL, on the reactive pool, as its children.
        List<SpanData> requestSql = trace.stream().filter(s -> s.getKind() == SpanKind.CLIENT
                && "postgres".equals(s.getAttributes().get(AttributeKey.stringKey("db.system")))
                && s.getParentSpanId().equals(server.getSpanId())).toList();
        assertTrue(requestSql.size() >= 3, "the create's statements: " + names);
        assertTrue(requestSql.stream().anyMatch(s -> s.getName().equals("INSERT workspaces")), names);
        assertTrue(requestSql.stream().anyMatch(s -> s.getName().equals("INSERT provisioning_runs")), names);
        // Statements are recorded with their placeholders, never with the values bound to them.
        assertTrue(requestSql.stream().allMatch(s -> !String.valueOf(s.getAttributes()
                .get(AttributeKey.stringKey("db.statement"))).contains("Traced")), names);

        // The saga's steps, run after the request on contexts of their own: children of, and linked to, the request.
        for (String step : List.of("environments", "dataplane", "access", "activate")) {
            SpanData span = named(trace, "provisioning step create/" + step);
            assertNotNull(span, step + ": " + names);
            assertEquals(server.getSpanId(), span.getParentSpanId(), step);
            assertTrue(span.getLinks().stream().anyMatch(l -> l.getSpanContext().getSpanId()
                    .equals(server.getSpanId())), step + " is linked to the request");
            assertEquals(run, span.getAttributes().get(AttributeKey.stringKey("atrium.run.id")));
            assertEquals(id, span.getAttributes().get(AttributeKey.stringKey("atrium.workspace.id")));
        }
        SpanData environments = named(trace, "provisioning step create/environments");
        assertTrue(trace.stream().anyMatch(s -> s.getKind() == SpanKind.CLIENT
                && s.getParentSpanId().equals(environments.getSpanId())
                && "postgres".equals(s.getAttributes().get(AttributeKey.stringKey("db.system")))),
                "a step's SQL is the step's: " + names);

        // The dataplane call: a client span under its step, whose traceparent reached the dataplane.
        SpanData dataplaneStep = named(trace, "provisioning step create/dataplane");
        SpanData call = trace.stream().filter(s -> s.getKind() == SpanKind.CLIENT
                && s.getParentSpanId().equals(dataplaneStep.getSpanId()) && s.getName().startsWith("PUT"))
                .findFirst().orElseThrow(() -> new AssertionError("no dataplane client span: " + names));
        List<FakeDataplane.Call> calls = FakeDataplane.calls(id);
        assertEquals(1, calls.size());
        assertEquals("00-" + traceId + "-" + call.getSpanId() + "-01", calls.get(0).traceparent());

        // One trace: every span of it descends from the caller's span.
        Set<String> ids = trace.stream().map(SpanData::getSpanId).collect(Collectors.toSet());
        for (SpanData s : trace) {
            assertTrue(ids.contains(s.getParentSpanId()) || s.getParentSpanId().equals(callerSpan),
                    s.getName() + " hangs off nothing in the trace");
        }
    }

    @Test
    void aTraceStartsHereWhenTheCallerSendsNoneAndTheRunRemembersIt() {
        Response created = Api.as(Tokens.user(Tokens.unique("untraced"))).header("Prefer", "wait=10")
                .body(Map.of("name", Tokens.unique("Untraced"))).post("/v1/workspaces");
        created.then().statusCode(201);
        String run = created.jsonPath().getString("provisioning_run_id");
        String traceparent = db.rows("select traceparent from provisioning_runs where id = $1", run).get(0)
                .getString(0);
        assertNotNull(traceparent);
        assertTrue(traceparent.matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01"), traceparent);
        String traceId = traceparent.substring(3, 35);
        List<SpanData> trace = spans.await(traceId, t -> named(t, "provisioning step create/activate") != null
                && named(t, "POST /v1/workspaces") != null, Duration.ofSeconds(10));
        SpanData server = trace.stream().filter(s -> s.getKind() == SpanKind.SERVER
                && s.getName().equals("POST /v1/workspaces")).findFirst().orElseThrow();
        assertFalse(server.getParentSpanContext().isValid(), "the request starts the trace");
        assertEquals(traceparent.substring(36, 52), server.getSpanId());
        assertNotEquals(null, named(trace, "provisioning step create/dataplane"));
    }

    private static SpanData named(List<SpanData> trace, String name) {
        return trace.stream().filter(s -> s.getName().equals(name)).findFirst().orElse(null);
    }
}
