package dev.atrium.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.atrium.support.Api;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/**
 * The production log format, read back from a full scenario: create, invite, accept, an API key created and used,
 * refusals (401, 403, 404, 400), and the races the service handles (a new user's personal organization created by
 * concurrent requests, concurrent creates of one name competing for its slug, one idempotency key sent concurrently).
 * The test profile writes the production JSON format to a file beside its console; every line of it must be a JSON
 * object, each request has its line with its request id, trace and span ids, route, principal and the cell's region,
 * no token, key or secret appears anywhere, and none of the handled races is logged at WARN or above, although
 * Hibernate did report them (counted here before the log's filter drops them).
 */
@QuarkusTest
class JsonLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HIBERNATE_SQL_ERRORS = "org.hibernate.orm.jdbc.error";

    private final String prefix = "logscn-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    private final AtomicInteger sequence = new AtomicInteger();
    /** Request id to what the request was, for the assertions' messages. */
    private final Map<String, String> sent = new ConcurrentHashMap<>();
    /** Request ids of requests made with a credential the service accepts, and the principal it names. */
    private final Map<String, String[]> authenticated = new ConcurrentHashMap<>();

    private RequestSpecification as(String credential, String what, String kind, String id) {
        String requestId = prefix + sequence.incrementAndGet();
        sent.put(requestId, what);
        if (kind != null) {
            authenticated.put(requestId, new String[] { kind, id });
        }
        return Api.as(credential).header("Request-Id", requestId);
    }

    @Test
    void aFullScenarioLogsValidJsonWithItsContextNoSecretAndNoWarningForHandledRaces() throws Exception {
        Path file = Path.of(ConfigProvider.getConfig().getValue("quarkus.log.file.path", String.class));
        List<String> races = new CopyOnWriteArrayList<>();
        Logger hibernate = Logger.getLogger(HIBERNATE_SQL_ERRORS);
        Handler counter = new Handler() {
            @Override
            public void publish(LogRecord record) {
                races.add(record.getMessage() + " " + java.util.Arrays.toString(record.getParameters()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Instant started = Instant.now();
        List<String> secrets = new ArrayList<>();
        hibernate.addHandler(counter);
        try {
            scenario(secrets, races);
        } finally {
            hibernate.removeHandler(counter);
        }
        assertTrue(races.stream().anyMatch(r -> r.contains("23505")),
                "the scenario ran into at least one unique violation the service handles: " + races);

        Map<String, JsonNode> requestLines = new HashMap<>();
        List<String> offending = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertFalse(lines.isEmpty(), file + " is empty");
        for (String line : lines) {
            JsonNode record;
            try {
                record = JSON.readTree(line);
            } catch (IOException e) {
                fail("not a JSON line in " + file + ": " + line);
                return;
            }
            assertTrue(record.isObject(), line);
            assertTrue(record.hasNonNull("timestamp") && record.hasNonNull("level") && record.hasNonNull("loggerName")
                    && record.has("message"), line);
            assertEquals("us-east-1", record.path("region").asText(), line);
            for (String secret : secrets) {
                assertFalse(line.contains(secret), "a secret reached the log: " + line);
            }
            String requestId = record.path("mdc").path("request_id").asText("");
            boolean ours = requestId.startsWith(prefix);
            boolean during = Instant.parse(record.get("timestamp").asText()).isAfter(started);
            String level = record.get("level").asText();
            if ((ours && (level.equals("WARN") || level.equals("ERROR")))
                    || (during && record.get("loggerName").asText().equals(HIBERNATE_SQL_ERRORS))) {
                offending.add(line);
            }
            if (ours && record.get("loggerName").asText().equals("atrium.requests")) {
                requestLines.put(requestId, record);
            }
        }
        assertEquals(List.of(), offending, "handled races and refusals are not warnings");

        for (Map.Entry<String, String> request : sent.entrySet()) {
            JsonNode line = requestLines.get(request.getKey());
            assertNotNull(line, "no request line for " + request.getValue());
            JsonNode mdc = line.get("mdc");
            assertEquals("INFO", line.get("level").asText());
            assertTrue(mdc.path("traceId").asText().matches("[0-9a-f]{32}"), line.toString());
            assertTrue(mdc.path("spanId").asText().matches("[0-9a-f]{16}"), line.toString());
            assertTrue(mdc.path("route").asText().startsWith("/v1/"), line.toString());
            assertFalse(mdc.path("route").asText().contains("ws_"), "a route is a template: " + line);
            assertTrue(mdc.path("status").asText().matches("[1-5][0-9][0-9]"), line.toString());
            String[] principal = authenticated.get(request.getKey());
            if (principal == null) {
                assertFalse(mdc.has("principal_id"), line.toString());
            } else {
                assertEquals(principal[0], mdc.path("principal_kind").asText(), line.toString());
                assertEquals(principal[1], mdc.path("principal_id").asText(), line.toString());
            }
        }
    }

    private void scenario(List<String> secrets, List<String> races) throws Exception {
        String ownerSub = Tokens.unique("log-owner");
        String owner = Tokens.user(ownerSub);
        String guestSub = Tokens.unique("log-guest");
        String guest = Tokens.user(guestSub);
        String billing = Tokens.service("billing-service", "atrium:admin");
        secrets.addAll(List.of(owner, guest, billing));

        String workspace;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            // A new user's first requests, all at once: one personal organization, created by whichever gets there.
            List<Callable<Response>> first = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                first.add(() -> as(owner, "GET /v1/me", "user", ownerSub).get("/v1/me"));
            }
            for (Future<Response> f : pool.invokeAll(first)) {
                assertEquals(200, f.get().statusCode(), f.get().asString());
            }
            Response created = as(owner, "create", "user", ownerSub).header("Prefer", "wait=10")
                    .body(Map.of("name", Tokens.unique("Logged"))).post("/v1/workspaces");
            assertEquals(201, created.statusCode(), created.asString());
            workspace = "/v1/workspaces/" + created.jsonPath().getString("id");
            as(billing, "set the plan", "service", "billing-service").body(Map.of("plan", "team")).patch(workspace)
                    .then().statusCode(200);

            // Concurrent creates of one name: one gets the slug, the others retry with another.
            for (int round = 0; round < 3 && races.stream().noneMatch(r -> r.contains("23505")); round++) {
                String name = Tokens.unique("Same name");
                List<Callable<Response>> same = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    same.add(() -> as(owner, "create " + name, "user", ownerSub).body(Map.of("name", name))
                            .post("/v1/workspaces"));
                }
                for (Future<Response> f : pool.invokeAll(same)) {
                    assertEquals(202, f.get().statusCode(), f.get().asString());
                }
            }

            // One idempotency key sent four times at once: one creates, the others replay or are told it is in use.
            String key = UUID.randomUUID().toString();
            List<Callable<Response>> repeated = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                repeated.add(() -> as(owner, "idempotent create", "user", ownerSub).header("Idempotency-Key", key)
                        .body(Map.of("name", "Org " + key)).post("/v1/organizations"));
            }
            for (Future<Response> f : pool.invokeAll(repeated)) {
                int status = f.get().statusCode();
                assertTrue(status == 201 || status == 409, f.get().asString());
            }
        } finally {
            pool.shutdownNow();
        }

        // Invite and accept: the invitation's token travels in a path.
        Response invited = as(owner, "invite", "user", ownerSub)
                .body(Map.of("email", guestSub + "@example.com", "role", "member")).post(workspace + "/members/invite");
        assertEquals(201, invited.statusCode(), invited.asString());
        String invitation = invited.jsonPath().getString("token");
        secrets.add(invitation);
        as(guest, "accept", "user", guestSub).post("/v1/workspaces/invitations/" + invitation + "/accept").then()
                .statusCode(200);

        // An API key: created (its secret is shown once), used, and refused where it does not reach.
        Response keyCreated = as(owner, "key create", "user", ownerSub)
                .body(Map.of("name", "logged key", "scopes", List.of("workspace:read"))).post(workspace + "/api-keys");
        assertEquals(201, keyCreated.statusCode(), keyCreated.asString());
        String secret = keyCreated.jsonPath().getString("secret");
        String keyId = keyCreated.jsonPath().getString("id");
        secrets.add(secret);
        as(secret, "key use", "api_key", keyId).get(workspace).then().statusCode(200);
        as(secret, "key refused", "api_key", keyId).get(workspace + "/audit").then().statusCode(403);

        // Refusals: a token that is no token, an unknown workspace, a bad body.
        as("not-a-token", "401", null, null).get("/v1/me").then().statusCode(401);
        as(owner, "404", "user", ownerSub).get("/v1/workspaces/ws_" + "0".repeat(30)).then().statusCode(404);
        as(owner, "400", "user", ownerSub).body(Map.of("name", "")).post("/v1/workspaces").then().statusCode(400);
    }
}
