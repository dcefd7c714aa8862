package dev.atrium.it;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.atrium.support.Tokens;
import io.restassured.response.Response;

/**
 * Two packaged cells on one machine, {@code us-east-1} and {@code eu-west-1}, each on a PostgreSQL server of its own,
 * each configured with the other as its peer (users' personal organizations live in {@code us-east-1}). What a user
 * of either sees, and what each database holds, checked with SQL; a read that spans both cells, followed by the
 * caller's trace id through their logs and the spans they send to a collector of the test's own; last, with the EU
 * cell stopped, then started again on its data.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoCellsIT {

    static final String US = "us-east-1";
    static final String EU = "eu-west-1";
    /** Every table holding a workspace's rows, by its workspace column. */
    static final List<String> WORKSPACE_TABLES = List.of("workspaces:id", "workspace_members:workspace_id",
            "environments:workspace_id", "provisioning_runs:workspace_id", "events:workspace_id");

    static final ObjectMapper JSON = new ObjectMapper();
    static final SecureRandom RANDOM = new SecureRandom();

    static OtlpCollector collector;
    static CellDatabase usDb;
    static CellDatabase euDb;
    static PackagedCell us;
    static PackagedCell eu;

    @BeforeAll
    static void startCells() {
        CompletableFuture<CellDatabase> euStarting =
                CompletableFuture.supplyAsync(() -> CellDatabase.start("two-cells-eu-west-1"));
        usDb = CellDatabase.start("two-cells-us-east-1");
        euDb = euStarting.join();
        collector = OtlpCollector.start();
        us = traced(PackagedCell.create("two-cells-us-east-1", US, usDb));
        // The EU cell exports JSON when no format is asked for (atrium.export.default-format); the US cell keeps NDJSON.
        eu = traced(PackagedCell.create("two-cells-eu-west-1", EU, euDb)).env("ATRIUM_CELL_DIRECTORY_REGION", US)
                .env("ATRIUM_EXPORT_DEFAULT_FORMAT", "json");
        us.peer(eu);
        eu.peer(us);
        PackagedCell.startAll(us, eu);
    }

    /** Spans go to the test's collector, a batch every 200 ms. */
    static PackagedCell traced(PackagedCell cell) {
        return cell.env("ATRIUM_OTLP_ENDPOINT", collector.endpoint()).env("ATRIUM_OTLP_PROTOCOL", "http/protobuf")
                .env("QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "200ms");
    }

    @AfterAll
    static void stopCells() {
        for (AutoCloseable c : new AutoCloseable[] { us, eu, usDb, euDb, collector }) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the others
            }
        }
    }

    static String organizationOn(PackagedCell cell, String token, String name) {
        Response r = cell.as(token).body(Map.of("name", name)).post("/v1/organizations");
        r.then().statusCode(201).header("X-Atrium-Region", cell.region());
        return r.jsonPath().getString("id");
    }

    static String activeWorkspaceOn(PackagedCell cell, String token, Map<String, Object> body) {
        Response r = cell.as(token).header("Prefer", "wait=10").body(body).post("/v1/workspaces");
        r.then().statusCode(201).header("X-Atrium-Region", cell.region())
                .body("status", equalTo("active")).body("region", equalTo(cell.region()));
        return r.jsonPath().getString("id");
    }

    /** Rows of the workspace in each table of {@link #WORKSPACE_TABLES}, and of its provisioning steps. */
    static long rowsOf(CellDatabase db, String workspaceId) {
        long rows = 0;
        for (String table : WORKSPACE_TABLES) {
            String[] t = table.split(":");
            rows += db.count("select count(*) from " + t[0] + " where " + t[1] + " = ?", workspaceId);
        }
        return rows + db.count("select count(*) from provisioning_steps s join provisioning_runs r on r.id = s.run_id"
                + " where r.workspace_id = ?", workspaceId);
    }

    @Test
    @Order(1)
    void createForTheEuRegionOnTheUsCellIsRedirectedAndLandsOnlyInTheEuDatabase() {
        String ann = Tokens.unique("ann");
        String token = TrustedKey.user(ann);
        String org = organizationOn(eu, token, "Acme EU");
        assertEquals(1, euDb.count("select count(*) from organizations where id = ? and not reference", org));
        assertEquals(0, usDb.count("select count(*) from organizations where id = ?", org));

        Map<String, Object> body = Map.of("organization_id", org, "name", "Residency", "region", EU);
        us.as(token).body(body).post("/v1/workspaces").then().statusCode(307)
                .header("Location", eu.baseUrl() + "/v1/workspaces")
                .header("X-Atrium-Region", EU)
                .contentType("application/problem+json")
                .body("code", equalTo("wrong_region"))
                .body("region", equalTo(EU))
                .body("location", equalTo(eu.baseUrl() + "/v1/workspaces"));

        // The client follows the redirect with the same request.
        String id = activeWorkspaceOn(eu, token, body);

        for (String table : WORKSPACE_TABLES) {
            String[] t = table.split(":");
            assertEquals(0, usDb.count("select count(*) from " + t[0] + " where " + t[1] + " = ?", id),
                    "no row of " + id + " in the US database's " + t[0]);
        }
        assertEquals(0, usDb.count("select count(*) from workspaces where name = 'Residency'"));
        assertEquals(0, usDb.count("select count(*) from workspace_members where user_id = ?", ann));
        assertEquals(0, usDb.count("select count(*) from events where organization_id = ?", org));
        assertEquals(1, euDb.count("select count(*) from workspaces where id = ? and status = 'active'"
                + " and region = 'eu-west-1'", id));
        assertEquals(1, euDb.count("select count(*) from workspace_members where workspace_id = ? and user_id = ?"
                + " and role = 'owner'", id, ann));
        assertEquals(3, euDb.count("select count(*) from environments where workspace_id = ?", id));
        assertEquals(1, euDb.count("select count(*) from provisioning_runs where workspace_id = ?", id));
        assertEquals(1, euDb.count("select count(*) from events where workspace_id = ? and type = 'workspace.created'",
                id));
        assertTrue(euDb.count("select count(*) from events where workspace_id = ?", id) >= 3,
                "created, member added, provisioned");
    }

    @Test
    @Order(1)
    void anExportWithoutFormatAnswersTheCellsConfiguredDefault() {
        String token = TrustedKey.user(Tokens.unique("exa"));
        String euWorkspace = activeWorkspaceOn(eu, token, Map.of("name", "Exported in EU", "region", EU));
        String usWorkspace = activeWorkspaceOn(us, token, Map.of("name", "Exported in US"));
        Response json = eu.as(token).accept("*/*").get("/v1/workspaces/" + euWorkspace + "/export");
        json.then().statusCode(200).contentType(containsString("application/json"))
                .body("workspace.id", equalTo(euWorkspace));
        Response ndjson = us.as(token).accept("*/*").get("/v1/workspaces/" + usWorkspace + "/export");
        ndjson.then().statusCode(200).contentType(containsString("application/x-ndjson"));
        assertTrue(ndjson.asString().startsWith("{\"object\":\"workspace\""), ndjson.asString());
        // An explicit format still wins.
        eu.as(token).accept("*/*").queryParam("format", "ndjson").get("/v1/workspaces/" + euWorkspace + "/export")
                .then().statusCode(200).contentType(containsString("application/x-ndjson"));
    }

    @Test
    @Order(2)
    void readsAndWritesOfAnEuWorkspaceThroughTheUsCellAre307ToTheEuCell() {
        String token = TrustedKey.user(Tokens.unique("bea"));
        String id = activeWorkspaceOn(eu, token, Map.of("organization_id", organizationOn(eu, token, "Bea EU"),
                "name", "Routed"));
        String home = eu.baseUrl() + "/v1/workspaces/" + id;

        us.as(token).get("/v1/workspaces/" + id).then().statusCode(307)
                .header("Location", home).header("X-Atrium-Region", EU).body("code", equalTo("wrong_region"));
        us.as(token).get("/v1/workspaces/" + id + "/environments").then().statusCode(307)
                .header("Location", home + "/environments");
        us.as(token).get("/v1/workspaces/" + id + "/audit?limit=5").then().statusCode(307)
                .header("Location", home + "/audit?limit=5");
        us.as(token).contentType("application/merge-patch+json").body(Map.of("name", "Renamed from the US"))
                .patch("/v1/workspaces/" + id).then().statusCode(307)
                .header("Location", home).header("X-Atrium-Region", EU);
        us.as(token).post("/v1/workspaces/" + id + "/archive").then().statusCode(307)
                .header("Location", home + "/archive");
        assertEquals(1, euDb.count("select count(*) from workspaces where id = ? and name = 'Routed'"
                + " and status = 'active'", id), "a redirected write changes nothing");
        assertEquals(0, rowsOf(usDb, id));

        // At its home the same requests are served.
        eu.as(token).get("/v1/workspaces/" + id).then().statusCode(200).header("X-Atrium-Region", EU)
                .body("id", equalTo(id));
        eu.as(token).contentType("application/merge-patch+json").body(Map.of("name", "Renamed at home"))
                .patch("/v1/workspaces/" + id).then().statusCode(200).body("name", equalTo("Renamed at home"));
        assertEquals(1, euDb.count("select count(*) from workspaces where id = ? and name = 'Renamed at home'", id));
        assertEquals(0, rowsOf(usDb, id));
    }

    @Test
    @Order(3)
    void regionsAllMergesTheWorkspacesOfBothCells() {
        String token = TrustedKey.user(Tokens.unique("cai"));
        String inUs = activeWorkspaceOn(us, token, Map.of("name", "Cai US"));
        String inEu = activeWorkspaceOn(eu, token, Map.of("organization_id", organizationOn(eu, token, "Cai EU"),
                "name", "Cai EU"));

        for (PackagedCell cell : List.of(us, eu)) {
            Response all = cell.as(token).get("/v1/workspaces?regions=all");
            all.then().statusCode(200).header("X-Atrium-Unreachable-Regions", nullValue());
            assertThat(all.jsonPath().getList("id"), containsInAnyOrder(inUs, inEu));
            assertEquals(US, all.jsonPath().getString("find { it.id == '" + inUs + "' }.region"));
            assertEquals(EU, all.jsonPath().getString("find { it.id == '" + inEu + "' }.region"));
        }
        assertThat(us.as(token).get("/v1/workspaces").jsonPath().getList("id"), containsInAnyOrder(inUs));
        assertThat(eu.as(token).get("/v1/workspaces").jsonPath().getList("id"), containsInAnyOrder(inEu));
        assertEquals(0, rowsOf(usDb, inEu), "a merged read stores nothing");
        assertEquals(0, rowsOf(euDb, inUs), "a merged read stores nothing");
    }

    @Test
    @Order(4)
    void aCrossCellReadCarriesTheCallersTraceToThePeer() {
        String token = TrustedKey.user(Tokens.unique("fay"));
        activeWorkspaceOn(eu, token, Map.of("organization_id", organizationOn(eu, token, "Fay EU"), "name", "Fay EU"));
        String traceId = random(16);
        String callerSpan = random(8);
        String requestId = "trace-" + random(8);
        Response all = us.as(token).header("traceparent", "00-" + traceId + "-" + callerSpan + "-01")
                .header("Request-Id", requestId).get("/v1/workspaces?regions=all");
        all.then().statusCode(200).header("X-Atrium-Unreachable-Regions", nullValue());
        assertEquals(List.of("Fay EU"), all.jsonPath().getList("name"));

        // Each cell logs its request (JSON, the production format) in the caller's trace: the US cell's server span
        // and, reached by its client call, the EU cell's, each a span of its own.
        JsonNode atUs = requestLine(us, traceId, "/v1/workspaces");
        JsonNode atEu = requestLine(eu, traceId, "/v1/workspaces");
        assertEquals(US, atUs.path("region").asText(), atUs.toString());
        assertEquals(EU, atEu.path("region").asText(), atEu.toString());
        assertEquals(requestId, atUs.path("mdc").path("request_id").asText(), atUs.toString());
        assertEquals(requestId, atEu.path("mdc").path("request_id").asText(), atEu.toString());
        String usSpan = atUs.path("mdc").path("spanId").asText();
        String euSpan = atEu.path("mdc").path("spanId").asText();
        assertTrue(usSpan.matches("[0-9a-f]{16}") && euSpan.matches("[0-9a-f]{16}"), atUs + "\n" + atEu);
        assertThat(List.of(usSpan, euSpan, callerSpan).stream().distinct().count(), equalTo(3L));

        // The spans both cells sent to the collector make one tree: the caller's span, the US cell's server span, its
        // client span calling the EU cell, and the EU cell's server span under that.
        List<OtlpCollector.Span> trace = collector.await(traceId,
                t -> t.stream().anyMatch(serverIn(EU)) && t.stream().anyMatch(serverIn(US)), Duration.ofSeconds(15));
        String spans = trace.stream().map(Object::toString).collect(Collectors.joining("\n"));
        OtlpCollector.Span usServer = trace.stream().filter(serverIn(US)).findFirst()
                .orElseThrow(() -> new AssertionError("no US server span: " + spans));
        assertEquals(callerSpan, usServer.parentSpanId(), spans);
        assertEquals("GET /v1/workspaces", usServer.name(), spans);
        assertEquals(usSpan, usServer.spanId(), "the log names the request's span");
        OtlpCollector.Span euServer = trace.stream().filter(serverIn(EU)).findFirst()
                .orElseThrow(() -> new AssertionError("no EU server span: " + spans));
        assertEquals("GET /v1/workspaces", euServer.name(), spans);
        assertEquals(euSpan, euServer.spanId(), "the log names the request's span");
        OtlpCollector.Span call = trace.stream().filter(s -> s.spanId().equals(euServer.parentSpanId())).findFirst()
                .orElseThrow(() -> new AssertionError("the EU span's parent was not sent: " + spans));
        assertTrue(call.client() && US.equals(call.region()), "a US client span calls the EU cell: " + spans);
        assertTrue(descends(trace, call, usServer.spanId()), "the call is the US request's: " + spans);
    }

    /**
     * These cells have no dataplane: a waited create runs its provisioning steps in the request's own transaction,
     * each step still a span of its own in the request's trace.
     */
    @Test
    @Order(4)
    void aCreateProvisionedInItsRequestTracesEachStepUnderTheRequest() {
        String token = TrustedKey.user(Tokens.unique("gus"));
        String traceId = random(16);
        String callerSpan = random(8);
        us.as(token).header("traceparent", "00-" + traceId + "-" + callerSpan + "-01").header("Prefer", "wait=10")
                .body(Map.of("name", "Gus traced")).post("/v1/workspaces").then().statusCode(201)
                .body("status", equalTo("active"));
        List<String> steps = List.of("environments", "dataplane", "access", "activate");
        // The server span ends after the answer is written, so it may reach the collector in a later export than
        // the steps' spans: wait for both.
        List<OtlpCollector.Span> trace = collector.await(traceId, t -> steps.stream().allMatch(step -> t.stream()
                .anyMatch(s -> s.name().equals("provisioning step create/" + step)))
                && t.stream().anyMatch(serverIn(US)), Duration.ofSeconds(15));
        String spans = trace.stream().map(Object::toString).collect(Collectors.joining("\n"));
        OtlpCollector.Span server = trace.stream().filter(serverIn(US)).findFirst()
                .orElseThrow(() -> new AssertionError("no US server span: " + spans));
        assertEquals("POST /v1/workspaces", server.name(), spans);
        assertEquals(callerSpan, server.parentSpanId(), spans);
        for (String step : steps) {
            OtlpCollector.Span span = trace.stream().filter(s -> s.name().equals("provisioning step create/" + step))
                    .findFirst().orElseThrow(() -> new AssertionError("no span of step " + step + ": " + spans));
            assertTrue(descends(trace, span, server.spanId()), step + " is the request's: " + spans);
        }
    }

    /** A server span a cell of {@code region} sent. */
    static Predicate<OtlpCollector.Span> serverIn(String region) {
        return s -> s.server() && region.equals(s.region());
    }

    static boolean descends(List<OtlpCollector.Span> trace, OtlpCollector.Span span, String ancestor) {
        String parent = span.parentSpanId();
        while (!parent.isEmpty()) {
            if (parent.equals(ancestor)) {
                return true;
            }
            String p = parent;
            parent = trace.stream().filter(s -> s.spanId().equals(p)).map(OtlpCollector.Span::parentSpanId)
                    .findFirst().orElse("");
        }
        return false;
    }

    /** The line ({@code atrium.requests}) {@code cell} logged for its request of {@code route} in the trace. */
    static JsonNode requestLine(PackagedCell cell, String traceId, String route) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            try {
                for (String line : Files.readAllLines(cell.logFile(), StandardCharsets.UTF_8)) {
                    if (!line.startsWith("{") || !line.contains(traceId)) {
                        continue;
                    }
                    JsonNode record = JSON.readTree(line);
                    if (record.path("loggerName").asText().equals("atrium.requests")
                            && record.path("mdc").path("traceId").asText().equals(traceId)
                            && record.path("mdc").path("route").asText().equals(route)) {
                        return record;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(cell.name() + " logged no request of trace " + traceId + "; its log ends:\n"
                        + cell.logTail(20));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    @Test
    @Order(5)
    void withTheEuCellStoppedEuOrganizationsFailClosedAndUsWorkspacesKeepWorkingUntilItIsBack() {
        String dan = Tokens.unique("dan");
        String danToken = TrustedKey.user(dan);
        String eve = Tokens.unique("eve");
        String eveToken = TrustedKey.user(eve);
        String euOrg = organizationOn(eu, danToken, "Dan EU");
        eu.as(danToken).body(Map.of("role", "admin", "email", eve + "@example.com"))
                .put("/v1/organizations/" + euOrg + "/members/" + eve).then().statusCode(200);
        String inEu = activeWorkspaceOn(eu, danToken, Map.of("organization_id", euOrg, "name", "Dan EU"));
        String inUs = activeWorkspaceOn(us, danToken, Map.of("name", "Dan US"));
        // While the EU cell is up, the US cell creates a workspace of the EU organization after asking its home.
        String usOfEuOrg = activeWorkspaceOn(us, danToken, Map.of("organization_id", euOrg, "name", "Dan US of EU"));
        assertEquals(1, usDb.count("select count(*) from workspaces where id = ? and organization_id = ?", usOfEuOrg,
                euOrg));

        eu.stop();

        // Eve's role in the EU organization can only come from its home: the create fails closed, writing nothing.
        Response refused = us.as(eveToken).body(Map.of("organization_id", euOrg, "name", "Eve US"))
                .post("/v1/workspaces");
        refused.then().statusCode(503)
                .contentType("application/problem+json")
                .header("Retry-After", matchesPattern("[1-9][0-9]*"))
                .header("X-Atrium-Region", US)
                .body("code", equalTo("cell_unavailable"))
                .body("status", equalTo(503));
        assertEquals(0, usDb.count("select count(*) from workspaces where name = 'Eve US'"));
        assertEquals(0, usDb.count("select count(*) from workspace_members where user_id = ?", eve));
        assertEquals(0, usDb.count("select count(*) from events where actor_id = ?", eve));

        Response partial = us.as(danToken).get("/v1/workspaces?regions=all");
        partial.then().statusCode(200).header("X-Atrium-Unreachable-Regions", EU);
        assertThat(partial.jsonPath().getList("id"), containsInAnyOrder(inUs, usOfEuOrg));

        // US workspaces keep working: read, write, create.
        us.as(danToken).get("/v1/workspaces/" + inUs).then().statusCode(200).body("status", equalTo("active"));
        us.as(danToken).contentType("application/merge-patch+json").body(Map.of("description", "EU is down"))
                .patch("/v1/workspaces/" + inUs).then().statusCode(200).body("description", equalTo("EU is down"));
        String created = activeWorkspaceOn(us, danToken, Map.of("name", "Dan US while EU is down"));
        assertThat(created, not(equalTo(inUs)));
        assertEquals(1, usDb.count("select count(*) from workspaces where id = ? and status = 'active'", created));
        // An EU workspace is still routed by its id alone.
        us.as(danToken).get("/v1/workspaces/" + inEu).then().statusCode(307)
                .header("Location", eu.baseUrl() + "/v1/workspaces/" + inEu);

        // Back on its own data, the EU cell serves its workspace, and the US cell reaches it again.
        eu.start();
        eu.as(danToken).get("/v1/workspaces/" + inEu).then().statusCode(200).body("name", equalTo("Dan EU"));
        Response whole = us.as(danToken).get("/v1/workspaces?regions=all");
        whole.then().statusCode(200).header("X-Atrium-Unreachable-Regions", nullValue());
        assertThat(whole.jsonPath().getList("id"), containsInAnyOrder(inUs, usOfEuOrg, created, inEu));
        activeWorkspaceOn(us, eveToken, Map.of("organization_id", euOrg, "name", "Eve US"));
    }
}
