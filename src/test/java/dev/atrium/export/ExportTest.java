package dev.atrium.export;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.atrium.common.id.Ids;
import dev.atrium.support.Api;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;

@QuarkusTest
class ExportTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {
    };

    private static final Pattern FIELD_NAMED_SECRET = Pattern.compile("(?i)\"[a-z_]*(token|secret|hash)[a-z_]*\"\\s*:");

    @Inject
    Db db;

    @TestHTTPResource("/")
    URL base;

    private static String path(Object workspaceId) {
        return "/v1/workspaces/" + workspaceId + "/export";
    }

    /** A download as a client makes it: no JSON Accept header forced on it. */
    private static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token);
    }

    private static void setPlan(Object workspaceId, String plan) {
        Api.as(Tokens.service("billing-service", "atrium:admin")).body(Map.of("plan", plan))
                .patch("/v1/workspaces/" + workspaceId).then().statusCode(200);
    }

    private static Map<String, Object> createKey(String token, Object workspaceId, String... scopes) {
        Response r = Api.as(token).body(Map.of("name", "exporter", "scopes", List.of(scopes)))
                .post("/v1/workspaces/" + workspaceId + "/api-keys");
        assertEquals(201, r.statusCode(), r.asString());
        return r.jsonPath().getMap("");
    }

    private static List<Map<String, Object>> records(String ndjson) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : ndjson.split("\n", -1)) {
            if (!line.isEmpty()) {
                out.add(JSON.readValue(line, OBJECT));
            }
        }
        return out;
    }

    private static long count(List<Map<String, Object>> records, String object) {
        return records.stream().filter(r -> object.equals(r.get("object"))).count();
    }

    /** A team workspace with a second member, a pending invitation and an API key: every entity of an export. */
    private record Seeded(Map<String, Object> workspace, String ownerToken, String invitationToken, String keySecret,
            String keyId) {

        Object id() {
            return workspace.get("id");
        }
    }

    private Seeded seeded(String ownerSub) {
        String owner = Tokens.user(ownerSub);
        Map<String, Object> ws = Api.activeWorkspace(owner);
        setPlan(ws.get("id"), "team");
        db.addMember(ws.get("id"), Tokens.unique("colleague"), "member");
        Response invited = Api.as(owner)
                .body(Map.of("email", Tokens.unique("guest") + "@example.com", "role", "viewer"))
                .post("/v1/workspaces/" + ws.get("id") + "/members/invite");
        assertEquals(201, invited.statusCode(), invited.asString());
        Map<String, Object> key = createKey(owner, ws.get("id"), "export:read", "workspace:read");
        Map<String, Object> fresh = Api.as(owner).get("/v1/workspaces/" + ws.get("id")).jsonPath().getMap("");
        return new Seeded(fresh, owner, invited.jsonPath().getString("token"), (String) key.get("secret"),
                (String) key.get("id"));
    }

    /** Neither the one-time values nor their stored hashes, nor any field named after them, may appear. */
    private void assertNoSecrets(String body, Seeded s) {
        assertFalse(body.contains(s.invitationToken()), "the invitation token leaked");
        assertFalse(body.contains(s.keySecret()), "the API key secret leaked");
        assertFalse(body.contains(s.keySecret().substring(34, 56)), "the API key's random part leaked");
        String tokenHash = db.rows("select token_hash from invitations where workspace_id = $1", s.id()).get(0)
                .getString(0);
        assertFalse(body.contains(tokenHash), "the invitation token hash leaked");
        byte[] secretHash = db.rows("select secret_hash from api_keys where id = $1", s.keyId()).get(0).getBuffer(0)
                .getBytes();
        assertFalse(body.contains(HexFormat.of().formatHex(secretHash)), "the key hash leaked (hex)");
        assertFalse(body.contains(Base64.getEncoder().encodeToString(secretHash)), "the key hash leaked (base64)");
        // No field of that name either: neither a JSON key nor a CSV column.
        assertFalse(FIELD_NAMED_SECRET.matcher(body).find(), "a token, secret or hash field");
        String firstLine = body.substring(0, Math.max(0, body.indexOf('\n')));
        if (!firstLine.startsWith("{")) {
            assertFalse(firstLine.matches("(?i).*(token|secret|hash).*"), "a token, secret or hash column");
        }
    }

    @Test
    void ndjsonIsEveryRecordTypedOnePerLineEndingWithTheCount() throws IOException {
        String ownerSub = Tokens.unique("exo");
        Seeded s = seeded(ownerSub);
        Response r = as(s.ownerToken()).get(path(s.id()));
        r.then().statusCode(200)
                .header("Content-Type", "application/x-ndjson")
                .header("Content-Disposition", "attachment; filename=\"" + s.workspace().get("slug") + "-"
                        + LocalDate.now(ZoneOffset.UTC) + ".ndjson\"")
                .header("Cache-Control", "no-store")
                .header("X-Atrium-Region", "us-east-1");
        String body = r.asString();
        assertTrue(body.endsWith("\n"));
        List<Map<String, Object>> records = records(body);
        long events = db.count("select count(*) from events where workspace_id = $1", s.id());

        List<String> order = records.stream().map(m -> (String) m.get("object")).distinct().toList();
        assertEquals(List.of("workspace", "member", "invitation", "api_key", "environment", "provisioning_run", "event",
                "export_end"), order);
        assertEquals(1, count(records, "workspace"));
        assertEquals(2, count(records, "member"));
        assertEquals(1, count(records, "invitation"));
        assertEquals(1, count(records, "api_key"));
        assertEquals(3, count(records, "environment"));
        assertEquals(1, count(records, "provisioning_run"));
        assertEquals(events, count(records, "event"));
        assertTrue(events >= 5, "created, member.added, provisioned, updated, invitation.created, api_key.created");
        Map<String, Object> end = records.get(records.size() - 1);
        assertEquals(Map.of("object", "export_end", "records", records.size() - 1), end);

        // Each record is the API's own view of it.
        Map<String, Object> ws = records.get(0);
        assertEquals(s.workspace(), ws);
        Map<String, Object> owner = records.stream().filter(m -> "member".equals(m.get("object"))
                && ownerSub.equals(m.get("user_id"))).findFirst().orElseThrow();
        assertEquals("owner", owner.get("role"));
        List<Map<String, Object>> members = Api.list(Api.as(s.ownerToken())
                .get("/v1/workspaces/" + s.id() + "/members"));
        assertTrue(members.contains(owner));
        Map<String, Object> key = records.stream().filter(m -> "api_key".equals(m.get("object"))).findFirst()
                .orElseThrow();
        assertEquals(Api.as(s.ownerToken()).get("/v1/workspaces/" + s.id() + "/api-keys/" + s.keyId()).jsonPath()
                .getMap(""), key);
        Map<String, Object> run = records.stream().filter(m -> "provisioning_run".equals(m.get("object"))).findFirst()
                .orElseThrow();
        assertEquals(s.workspace().get("provisioning_run_id"), run.get("id"));
        assertEquals(Api.as(s.ownerToken()).get("/v1/provisioning-runs/" + run.get("id")).jsonPath().getMap(""), run);
        assertFalse(((List<?>) run.get("steps")).isEmpty());
        // Events oldest first, with before/after as JSON objects, not strings.
        List<Map<String, Object>> evts = records.stream().filter(m -> "event".equals(m.get("object"))).toList();
        assertEquals("workspace.created", evts.stream().map(e -> e.get("type")).filter("workspace.created"::equals)
                .findFirst().orElseThrow());
        Map<String, Object> keyCreated = evts.stream().filter(e -> "api_key.created".equals(e.get("type"))).findFirst()
                .orElseThrow();
        assertTrue(keyCreated.get("after") instanceof Map, "after is a JSON object");
        for (int i = 1; i < evts.size(); i++) {
            String prev = (String) evts.get(i - 1).get("occurred_at");
            String cur = (String) evts.get(i).get("occurred_at");
            assertTrue(prev.compareTo(cur) <= 0, "events in time order");
        }
        assertNoSecrets(body, s);

        // Accept: application/x-ndjson asks for the same stream.
        Response accepted = as(s.ownerToken()).accept(ExportFormat.NDJSON_MEDIA_TYPE).get(path(s.id()));
        accepted.then().statusCode(200).header("Content-Type", "application/x-ndjson");
        assertEquals(records.size(), records(accepted.asString()).size());
        as(s.ownerToken()).queryParam("format", "ndjson").get(path(s.id())).then().statusCode(200)
                .header("Content-Type", "application/x-ndjson");
    }

    @Test
    void jsonIsOneDocument() throws IOException {
        Seeded s = seeded(Tokens.unique("exj"));
        Response r = as(s.ownerToken()).queryParam("format", "json").get(path(s.id()));
        r.then().statusCode(200)
                .header("Content-Type", "application/json")
                .header("Content-Disposition", "attachment; filename=\"" + s.workspace().get("slug") + "-"
                        + LocalDate.now(ZoneOffset.UTC) + ".json\"")
                .header("Cache-Control", "no-store");
        Map<String, Object> doc = JSON.readValue(r.asString(), OBJECT);
        assertEquals(List.of("object", "workspace", "members", "invitations", "api_keys", "environments",
                "provisioning_runs", "events", "records"), new ArrayList<>(doc.keySet()));
        assertEquals("export", doc.get("object"));
        assertEquals(s.workspace(), doc.get("workspace"));
        assertEquals(2, ((List<?>) doc.get("members")).size());
        assertEquals(1, ((List<?>) doc.get("invitations")).size());
        assertEquals(1, ((List<?>) doc.get("api_keys")).size());
        assertEquals(3, ((List<?>) doc.get("environments")).size());
        assertEquals(1, ((List<?>) doc.get("provisioning_runs")).size());
        long events = db.count("select count(*) from events where workspace_id = $1", s.id());
        assertEquals(events, ((List<?>) doc.get("events")).size());
        assertEquals(1 + 2 + 1 + 1 + 3 + 1 + events, ((Number) doc.get("records")).longValue());
        assertNoSecrets(r.asString(), s);

        // A workspace with nothing in some sections still gives a valid document.
        String lone = Tokens.user(Tokens.unique("exl"));
        Map<String, Object> ws = Api.activeWorkspace(lone);
        Map<String, Object> small = JSON.readValue(as(lone).queryParam("format", "json").get(path(ws.get("id")))
                .asString(), OBJECT);
        assertEquals(List.of(), small.get("invitations"));
        assertEquals(List.of(), small.get("api_keys"));
    }

    @Test
    void csvCellsThatASpreadsheetWouldRunAreNeutralised() {
        Seeded s = seeded(Tokens.unique("exf"));
        List<String> names = List.of("=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0",
                "-2+3", "@SUM(A1:A2)", "\tTab", "\rReturn");
        for (int i = 0; i < names.size(); i++) {
            String user = Tokens.unique("f" + i);
            db.rows("insert into workspace_members (id, workspace_id, user_id, email, name, role, joined_at)"
                    + " values ($1, $2, $3, $4, $5, 'viewer', now())", "mem_f" + user, s.id(), user,
                    user + "@example.com", names.get(i));
        }
        String csv = as(s.ownerToken()).queryParam("format", "csv").queryParam("entity", "members").get(path(s.id()))
                .then().statusCode(200).extract().asString();
        assertTrue(csv.contains(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",viewer,"), csv);
        assertTrue(csv.contains(",'+1+cmd|' /C calc'!A0,viewer,"), csv);
        assertTrue(csv.contains(",'-2+3,viewer,"), csv);
        assertTrue(csv.contains(",'@SUM(A1:A2),viewer,"), csv);
        assertTrue(csv.contains(",'\tTab,viewer,"), csv);
        assertTrue(csv.contains(",\"'\rReturn\",viewer,"), csv);
        for (String line : csv.split("\r\n")) {
            for (String cell : line.split(",")) {
                assertFalse(!cell.isEmpty() && "=+-@\t".indexOf(cell.charAt(0)) >= 0, "a formula cell: " + line);
            }
        }
    }

    @Test
    void csvIsRfc4180PerEntity() {
        Seeded s = seeded(Tokens.unique("exc"));
        String odd = Tokens.unique("odd");
        db.rows("insert into workspace_members (id, workspace_id, user_id, email, name, role, joined_at)"
                + " values ($1, $2, $3, $4, $5, 'viewer', '2031-02-03T04:05:06.123456Z')",
                "mem_csv" + odd, s.id(), odd, odd + "@example.com", "Doe, \"JJ\"\nJr.");
        Response r = as(s.ownerToken()).queryParam("format", "csv").queryParam("entity", "members").get(path(s.id()));
        r.then().statusCode(200)
                .header("Content-Type", "text/csv; charset=utf-8")
                .header("Content-Disposition", "attachment; filename=\"" + s.workspace().get("slug") + "-"
                        + LocalDate.now(ZoneOffset.UTC) + "-members.csv\"")
                .header("Cache-Control", "no-store");
        String csv = r.asString();
        assertTrue(csv.startsWith("id,user_id,email,name,role,joined_at,invited_by_id\r\n"), csv);
        assertTrue(csv.endsWith("mem_csv" + odd + "," + odd + "," + odd + "@example.com,"
                + "\"Doe, \"\"JJ\"\"\nJr.\",viewer,2031-02-03T04:05:06.123456Z,\r\n"), csv);
        // header + 3 members, each ending in CRLF (the quoted LF is inside a field)
        assertEquals(4, csv.split("\r\n", -1).length - 1);

        String keys = as(s.ownerToken()).queryParam("format", "csv").queryParam("entity", "api_keys").get(path(s.id()))
                .then().statusCode(200).extract().asString();
        assertTrue(keys.startsWith(
                "id,name,prefix,scopes,created_at,created_by_id,last_used_at,expires_at,revoked_at\r\n"));
        assertTrue(keys.contains(s.keyId() + ",exporter,"), keys);
        assertTrue(keys.contains(",export:read workspace:read,"), keys);
        assertNoSecrets(keys, s);

        String invitations = as(s.ownerToken()).queryParam("format", "csv").queryParam("entity", "invitations")
                .get(path(s.id())).then().statusCode(200).extract().asString();
        assertEquals(2, invitations.split("\r\n").length);
        assertTrue(invitations.contains(",viewer,pending,"), invitations);
        assertNoSecrets(invitations, s);

        String envs = as(s.ownerToken()).queryParam("format", "csv").queryParam("entity", "environments")
                .get(path(s.id())).then().statusCode(200)
                .header("Content-Disposition", "attachment; filename=\"" + s.workspace().get("slug") + "-"
                        + LocalDate.now(ZoneOffset.UTC) + "-environments.csv\"")
                .extract().asString();
        assertEquals(List.of("id,name,status,created_at", "dev", "staging", "prod"),
                List.of(envs.split("\r\n")).stream().map(l -> l.startsWith("env_") ? l.split(",")[1] : l).toList());

        String events = as(s.ownerToken()).queryParam("format", "csv").queryParam("entity", "events").get(path(s.id()))
                .then().statusCode(200).extract().asString();
        assertTrue(events.startsWith("id,type,occurred_at,actor_id,actor_type,resource_type,resource_id,request_id,"
                + "before,after\r\n"));
        long count = db.count("select count(*) from events where workspace_id = $1", s.id());
        assertEquals(count + 1, events.split("\r\n").length);
        // JSON in a field: quoted, its quotes doubled.
        assertTrue(events.contains(",\"{\"\"id\"\":\"\"" + s.id() + "\"\","), events);
        assertNoSecrets(events, s);
    }

    /** Each download keeps its own place and count: parallel exports of one workspace are identical and complete. */
    @Test
    void parallelExportsAreIndependent() throws Exception {
        Seeded s = seeded(Tokens.unique("exp"));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> downloads = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String format = i % 2 == 0 ? "ndjson" : "json";
                downloads.add(pool.submit(() -> as(s.ownerToken()).queryParam("format", format).get(path(s.id()))
                        .then().statusCode(200).extract().asString()));
            }
            Set<String> ndjson = new HashSet<>();
            Set<String> json = new HashSet<>();
            for (int i = 0; i < downloads.size(); i++) {
                (i % 2 == 0 ? ndjson : json).add(downloads.get(i).get(60, TimeUnit.SECONDS));
            }
            assertEquals(1, ndjson.size(), "every NDJSON download is the same");
            assertEquals(1, json.size(), "every JSON download is the same");
            List<Map<String, Object>> records = records(ndjson.iterator().next());
            assertEquals(records.size() - 1, ((Number) records.get(records.size() - 1).get("records")).intValue());
            assertEquals(records.size() - 1,
                    ((Number) JSON.readValue(json.iterator().next(), OBJECT).get("records")).intValue());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void formatAndEntityAreValidated() {
        String token = Tokens.user(Tokens.unique("exv"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        String p = path(ws.get("id"));
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("format=xml", "format");
        cases.put("format=NDJSON", "format");
        cases.put("format=csv", "entity");
        cases.put("format=csv&entity=workspace", "entity");
        cases.put("format=csv&entity=provisioning_runs", "entity");
        cases.put("entity=members", "entity");
        cases.put("format=json&entity=members", "entity");
        cases.forEach((query, field) -> as(token).get(p + "?" + query).then().statusCode(400)
                .contentType("application/problem+json")
                .body("code", equalTo("validation_failed"))
                .body("errors[0].field", equalTo(field)));
    }

    @Test
    void whoMayExport() {
        String ownerSub = Tokens.unique("exa");
        String owner = Tokens.user(ownerSub);
        Map<String, Object> ws = Api.activeWorkspace(owner);
        Object id = ws.get("id");
        setPlan(id, "team");
        String p = path(id);
        String admin = Tokens.unique("adm");
        String member = Tokens.unique("mem");
        String viewer = Tokens.unique("vie");
        db.addMember(id, admin, "admin");
        db.addMember(id, member, "member");
        db.addMember(id, viewer, "viewer");

        as(Tokens.user(admin)).get(p).then().statusCode(200);
        as(Tokens.user(member)).get(p).then().statusCode(200);
        as(Tokens.user(viewer)).get(p).then().statusCode(403).contentType("application/problem+json")
                .body("code", equalTo("permission_denied"));
        as(Tokens.user(viewer)).get(p + "?format=csv&entity=events").then().statusCode(403);
        as(Tokens.user(Tokens.unique("out"))).get(p).then().statusCode(404).contentType("application/problem+json")
                .body("code", equalTo("not_found"));
        as(Tokens.platformAdmin(Tokens.unique("pla"))).get(p).then().statusCode(200);
        as(Tokens.service("billing-service", "atrium:workspaces:read")).get(p).then().statusCode(200);
        as(Tokens.service("billing-service", "atrium:events:read")).get(p).then().statusCode(404);

        given().get(p).then().statusCode(401).contentType("application/problem+json")
                .body("code", equalTo("unauthenticated"));
        as(Tokens.signUntrusted(Tokens.userClaims(ownerSub))).get(p).then().statusCode(401)
                .body("code", equalTo("unauthenticated"));
        as(Tokens.expired(ownerSub)).get(p).then().statusCode(401);
        as("atr_notakey").get(p).then().statusCode(401);

        // API keys: export:read on their own workspace only.
        String withScope = (String) createKey(owner, id, "export:read").get("secret");
        String withoutScope = (String) createKey(owner, id, "workspace:read", "audit:read").get("secret");
        as(withScope).get(p).then().statusCode(200).header("Content-Type", "application/x-ndjson");
        as(withoutScope).get(p).then().statusCode(403).body("code", equalTo("permission_denied"));
        Map<String, Object> other = Api.activeWorkspace(owner);
        as(withScope).get(path(other.get("id"))).then().statusCode(404);

        // Another cell's workspace: routed there.
        String eu = "ws_" + Ids.cellCode("eu-west-1") + "0".repeat(26);
        as(owner).redirects().follow(false).get(path(eu) + "?format=json").then().statusCode(307)
                .header("Location", "http://eu-west-1.atrium.test" + path(eu) + "?format=json")
                .body("code", equalTo("wrong_region"));
        as(owner).get(path("ws_nope")).then().statusCode(404);
    }

    @Test
    void frozenArchivedAndDeletedWorkspacesCanStillBeExported() throws IOException {
        String owner = Tokens.user(Tokens.unique("exf"));
        Map<String, Object> ws = Api.activeWorkspace(owner);
        String wsPath = "/v1/workspaces/" + ws.get("id");
        Api.as(owner).body(Map.of("status", "frozen", "reason", "audit")).patch(wsPath + "/status").then()
                .statusCode(200);
        List<Map<String, Object>> frozen = records(as(owner).get(path(ws.get("id"))).then().statusCode(200).extract()
                .asString());
        assertEquals("frozen", frozen.get(0).get("status"));
        Api.as(owner).body(Map.of("status", "active")).patch(wsPath + "/status").then().statusCode(200);
        Api.as(owner).post(wsPath + "/archive").then().statusCode(200);
        List<Map<String, Object>> archived = records(as(owner).get(path(ws.get("id"))).then().statusCode(200)
                .extract().asString());
        assertEquals("archived", archived.get(0).get("status"));
        assertEquals("workspace.archived", archived.get(archived.size() - 2).get("type"));
        Api.as(owner).delete(wsPath).then().statusCode(202);
        List<Map<String, Object>> deleted = records(as(owner).get(path(ws.get("id"))).then().statusCode(200)
                .extract().asString());
        assertTrue(List.of("deleting", "deleted").contains(deleted.get(0).get("status")), deleted.get(0).toString());
        assertEquals("export_end", deleted.get(deleted.size() - 1).get("object"));
    }

    /**
     * 100,000 events in one workspace, 1,000 sharing each timestamp so batches split ties: every one comes out once, in
     * order, and the count closes the stream. Then a client that hangs up mid-stream leaves nothing behind.
     */
    @Test
    void aHundredThousandEventsStreamCompletely() throws Exception {
        String owner = Tokens.user(Tokens.unique("exb"));
        Map<String, Object> ws = Api.activeWorkspace(owner);
        Object id = ws.get("id");
        String tag = ((String) id).substring(3);
        long before = db.count("select count(*) from events where workspace_id = $1", id);
        db.rows("insert into events (id, type, occurred_at, actor, actor_id, organization_id, workspace_id,"
                + " resource_type, resource_id, before, after, request_id)"
                + " select 'evt_bulk' || $2 || lpad(g::text, 6, '0'), 'workspace.updated',"
                + " timestamptz '2030-01-01 00:00:00+00' + (g / 1000) * interval '1 second',"
                + " '{\"id\":\"system\",\"subject_type\":\"SYSTEM\",\"name\":\"Atrium\"}'::jsonb, 'system', $3, $1,"
                + " 'workspace', $1, jsonb_build_object('name', 'Before ' || g),"
                + " jsonb_build_object('name', 'After ' || g),"
                + " 'req_bulk_' || g from generate_series(1, 100000) g", id, tag, ws.get("organization_id"));
        try {
            // Fresh statistics, as autovacuum keeps them after a bulk change: the keyset reads then walk the index.
            db.rows("analyze events");
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest request = HttpRequest.newBuilder(URI.create(base + path(id).substring(1)))
                    .header("Authorization", "Bearer " + owner).timeout(Duration.ofMinutes(3)).build();
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, response.statusCode());
            long lines = 0;
            long events = 0;
            long bulk = 0;
            String previous = null;
            String last = null;
            Set<String> seen = new HashSet<>();
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines++;
                    last = line;
                    if (line.startsWith("{\"object\":\"event\"")) {
                        events++;
                        String evt = line.substring(line.indexOf("\"id\":\"") + 6);
                        evt = evt.substring(0, evt.indexOf('"'));
                        assertTrue(seen.add(evt), "event " + evt + " twice");
                        if (evt.startsWith("evt_bulk")) {
                            bulk++;
                            assertTrue(previous == null || previous.compareTo(evt) < 0, previous + " before " + evt);
                            previous = evt;
                        }
                    }
                }
            }
            long records = 1 + 1 + 3 + 1 + before + 100_000; // workspace, owner, environments, run, events
            assertEquals(100_000, bulk);
            assertEquals(before + 100_000, events);
            assertEquals(records + 1, lines);
            assertEquals(Map.of("object", "export_end", "records", (int) records), JSON.readValue(last, OBJECT));

            hangUpMidStream(id, owner);
        } finally {
            db.rows("delete from events where workspace_id = $1 and id like 'evt_bulk%'", id);
        }
    }

    /** Reads the first bytes of a large export and closes the connection: the server stops and holds nothing. */
    private void hangUpMidStream(Object id, String token) throws Exception {
        List<String> logged = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                String level = record.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue() ? "ERROR "
                        : "";
                logged.add(level + record.getMessage() + " " + Arrays.toString(record.getParameters()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(capture);
        try {
            hangUp(id, token);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (logged.stream().noneMatch(l -> l.contains("cancelled") && l.contains(id.toString()))
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(logged.stream().anyMatch(l -> l.contains("cancelled") && l.contains(id.toString())),
                    "the export stopped when the client left: " + logged);
            assertTrue(logged.stream().noneMatch(l -> l.contains("finished") && l.contains(id.toString())),
                    "the abandoned export did not run to its end: " + logged);
            assertTrue(logged.stream().noneMatch(l -> l.startsWith("ERROR ")), "a hang-up is no error: " + logged);
        } finally {
            root.removeHandler(capture);
        }
        // And the service answers the next export in full.
        List<Map<String, Object>> again = records(as(token).get(path(id)).then().statusCode(200).extract().asString());
        assertEquals("export_end", again.get(again.size() - 1).get("object"));
    }

    private void hangUp(Object id, String token) throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path(id) + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + token
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            int total = 0;
            while (total < 256 * 1024) {
                int n = in.read(buffer);
                assertTrue(n > 0, "the stream ended early");
                total += n;
            }
            assertTrue(new String(buffer, StandardCharsets.UTF_8).contains("\"object\":\"event\""));
        }
        // Within a few seconds nothing of that export runs in the database and no transaction is left open.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        long busy;
        do {
            Thread.sleep(200);
            busy = db.count("select count(*) from pg_stat_activity where datname = current_database()"
                    + " and pid <> pg_backend_pid() and (state = 'idle in transaction' or (state = 'active'"
                    + " and query like '%from events where workspace_id%'))");
        } while (busy > 0 && System.nanoTime() < deadline);
        assertEquals(0, busy);
    }
}
