package dev.atrium.apikey;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.Test;

import dev.atrium.common.problem.ApiException;
import dev.atrium.common.security.Role;
import dev.atrium.support.Api;
import dev.atrium.support.Contract;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import jakarta.inject.Inject;

@QuarkusTest
class ApiKeyApiTest {

    static final String TIMESTAMP = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z";

    @Inject
    Db db;

    @Inject
    ApiKeyUsage usage;

    private static String ws(Map<String, Object> ws) {
        return "/v1/workspaces/" + ws.get("id");
    }

    private static String keys(Map<String, Object> ws) {
        return ws(ws) + "/api-keys";
    }

    private static void setPlan(Map<String, Object> ws, String plan) {
        Api.as(Tokens.service("billing-service", "atrium:admin")).body(Map.of("plan", plan)).patch(ws(ws)).then()
                .statusCode(200).body("plan", equalTo(plan));
    }

    private static Map<String, Object> teamWorkspace(String token) {
        Map<String, Object> ws = Api.activeWorkspace(token);
        setPlan(ws, "team");
        return ws;
    }

    private static Map<String, Object> createKey(String token, Map<String, Object> ws, String... scopes) {
        Response r = Api.as(token).body(Map.of("name", "ci", "scopes", List.of(scopes))).post(keys(ws));
        assertEquals(201, r.statusCode(), r.asString());
        return r.jsonPath().getMap("");
    }

    private static io.restassured.specification.RequestSpecification key(Object secret) {
        return Api.as(String.valueOf(secret));
    }

    @Test
    void createShowsTheSecretOnceAndStoresOnlyAnHmac() {
        String sub = Tokens.unique("kown");
        String owner = Tokens.user(sub);
        Map<String, Object> ws = teamWorkspace(owner);
        Response r = Api.as(owner).body(Map.of("name", "deploy bot", "scopes", List.of("workspace:read",
                "members:read", "workspace:read"))).post(keys(ws));
        r.then().statusCode(201)
                .body("object", equalTo("api_key"))
                .body("id", startsWith("key_"))
                .body("name", equalTo("deploy bot"))
                .body("scopes", equalTo(List.of("members:read", "workspace:read")))
                .body("created_at", matchesPattern(TIMESTAMP))
                .body("created_by.id", equalTo(sub))
                .body("created_by.subject_type", equalTo("USER"))
                .body("last_used_at", nullValue())
                .body("expires_at", nullValue())
                .body("revoked_at", nullValue())
                .body("secret", matchesPattern(ApiKeyFormat.REGEX))
                .body("$", not(org.hamcrest.Matchers.hasKey("secret_sealed")));
        String id = r.path("id");
        String secret = r.path("secret");
        assertEquals(keys(ws) + "/" + id, r.header("Location"));
        assertTrue(ApiKeyFormat.PATTERN.matcher(secret).matches());
        assertEquals(secret.substring(0, 20), r.path("prefix"));
        assertEquals("atr_" + id.substring(4, 20), r.path("prefix"));
        // The secret is never shown again.
        Api.as(owner).get(keys(ws) + "/" + id).then().statusCode(200)
                .header("ETag", notNullValue())
                .body("id", equalTo(id))
                .body("$", not(org.hamcrest.Matchers.hasKey("secret")));
        Api.as(owner).get(keys(ws)).then().statusCode(200).body("size()", equalTo(1)).body("[0].id", equalTo(id))
                .body("[0]", not(org.hamcrest.Matchers.hasKey("secret")));
        // Only an HMAC is stored: no column holds the secret or its random part.
        String randomPart = secret.substring(34, 56);
        assertEquals(0, db.count("select count(*) from api_keys k where k::text like $1", "%" + randomPart + "%"));
        assertEquals(32, db.rows("select length(secret_hash) from api_keys where id = $1", id).get(0).getInteger(0));
        assertEquals(1, db.events(ws.get("id"), "api_key.created"));
    }

    @Test
    void listPagesNewestFirst() {
        String owner = Tokens.user(Tokens.unique("klist"));
        Map<String, Object> ws = teamWorkspace(owner);
        List<Object> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(createKey(owner, ws, "workspace:read").get("id"));
        }
        Response page = Api.as(owner).get(keys(ws) + "?limit=2");
        page.then().statusCode(200).body("id", equalTo(List.of(ids.get(2), ids.get(1))))
                .header("Link", matchesPattern("<.*cursor=.*>; rel=\"next\""));
        String next = page.header("Link").replaceAll("^<(.*)>.*$", "$1");
        Api.as(owner).urlEncodingEnabled(false).get(next).then().statusCode(200)
                .body("id", equalTo(List.of(ids.get(0)))).header("Link", nullValue());
        Api.as(owner).get(keys(ws) + "?cursor=garbage").then().statusCode(400).body("code", equalTo("invalid_cursor"));
        Api.as(owner).get(keys(ws) + "?limit=0").then().statusCode(400).body("errors.field", hasItem("limit"));
    }

    @Test
    void aKeyWorksOnlyOnItsWorkspaceWithinItsScopes() {
        String owner = Tokens.user(Tokens.unique("kuse"));
        Map<String, Object> ws = teamWorkspace(owner);
        Map<String, Object> other = teamWorkspace(owner);
        Object secret = createKey(owner, ws, "workspace:read", "members:read").get("secret");
        key(secret).get(ws(ws)).then().statusCode(200).body("id", equalTo(ws.get("id")));
        key(secret).get(ws(ws) + "/environments").then().statusCode(200);
        // A scope it lacks.
        key(secret).get(ws(ws) + "/audit").then().statusCode(403).body("code", equalTo("permission_denied"));
        key(secret).body(Map.of("name", "x")).patch(ws(ws)).then().statusCode(403)
                .body("code", equalTo("permission_denied"));
        // Another workspace, even the same owner's: not in reach.
        key(secret).get(ws(other)).then().statusCode(404).body("code", equalTo("not_found"));
        key(secret).get(keys(other)).then().statusCode(404);
        // Outside /v1/workspaces/{its workspace}/: not for keys.
        for (String path : List.of("/v1/organizations", "/v1/me", "/v1/workspaces", "/v1/regions",
                "/v1/workspaces/invitations/pending", "/v1/provisioning-runs/" + ws.get("provisioning_run_id"),
                "/v1/organizations/" + ws.get("organization_id") + "/workspaces")) {
            key(secret).get(path).then().statusCode(403).contentType("application/problem+json")
                    .body("code", equalTo("api_key_not_allowed"));
        }
        key(secret).body(Map.of("name", "x")).post("/v1/workspaces").then().statusCode(403)
                .body("code", equalTo("api_key_not_allowed"));
        key(secret).body(Map.of("name", "x")).post("/v1/organizations").then().statusCode(403)
                .body("code", equalTo("api_key_not_allowed"));
        // Session-only operations inside its workspace.
        key(secret).get(keys(ws)).then().statusCode(403).body("code", equalTo("api_key_not_allowed"));
        key(secret).body(Map.of("name", "k", "scopes", List.of("workspace:read"))).post(keys(ws)).then()
                .statusCode(403).body("code", equalTo("api_key_not_allowed"));
        key(secret).body(Map.of("status", "frozen", "reason", "x")).patch(ws(ws) + "/status").then()
                .statusCode(403).body("code", equalTo("api_key_not_allowed"));
    }

    @Test
    void aKeyActsAsItselfInTheAuditTrail() {
        String owner = Tokens.user(Tokens.unique("kact"));
        Map<String, Object> ws = teamWorkspace(owner);
        Map<String, Object> created = createKey(owner, ws, "workspace:read", "workspace:update", "audit:read");
        key(created.get("secret")).body(Map.of("name", "Renamed by key")).patch(ws(ws)).then().statusCode(200)
                .body("updated_by.subject_type", equalTo("API_KEY"))
                .body("updated_by.id", equalTo(created.get("id")))
                .body("updated_by.api_key_name", equalTo("ci"));
        key(created.get("secret")).get(ws(ws) + "/audit?type=workspace.updated").then().statusCode(200)
                .body("[0].actor.subject_type", equalTo("API_KEY"));
    }

    @Test
    void effectiveRightsShrinkWhenTheCreatorIsDemoted() {
        String owner = Tokens.user(Tokens.unique("kdem"));
        String adminSub = Tokens.unique("kadm");
        String admin = Tokens.user(adminSub);
        Map<String, Object> ws = teamWorkspace(owner);
        db.addMember(ws.get("id"), adminSub, "admin");
        Object secret = createKey(admin, ws, "workspace:read", "workspace:update", "billing:read").get("secret");
        key(secret).body(Map.of("name", "By admin key")).patch(ws(ws)).then().statusCode(200);
        db.rows("update workspace_members set role = 'viewer' where workspace_id = $1 and user_id = $2", ws.get("id"),
                adminSub);
        key(secret).body(Map.of("name", "Again")).patch(ws(ws)).then().statusCode(403)
                .body("code", equalTo("permission_denied"));
        key(secret).get(ws(ws)).then().statusCode(200);
        db.rows("delete from workspace_members where workspace_id = $1 and user_id = $2", ws.get("id"), adminSub);
        key(secret).get(ws(ws)).then().statusCode(403).body("code", equalTo("permission_denied"));
    }

    @Test
    void revokeIsEffectiveAtOnceAndKeepsTheRecord() {
        String owner = Tokens.user(Tokens.unique("krev"));
        Map<String, Object> ws = teamWorkspace(owner);
        Map<String, Object> created = createKey(owner, ws, "workspace:read");
        String path = keys(ws) + "/" + created.get("id");
        key(created.get("secret")).get(ws(ws)).then().statusCode(200);
        Api.as(owner).delete(path).then().statusCode(204);
        key(created.get("secret")).get(ws(ws)).then().statusCode(401)
                .contentType("application/problem+json")
                .header("WWW-Authenticate", "Bearer realm=\"atrium\", error=\"invalid_token\"")
                .body("code", equalTo("unauthenticated"));
        Api.as(owner).get(path).then().statusCode(200).body("revoked_at", matchesPattern(TIMESTAMP));
        Api.as(owner).delete(path).then().statusCode(204);
        assertEquals(1, db.events(ws.get("id"), "api_key.revoked"));
        Api.as(owner).body(Map.of("name", "x", "scopes", List.of("workspace:read"))).put(path).then().statusCode(409);
        Api.as(owner).body(Map.of()).post(path + "/rotate").then().statusCode(409);
        var event = db.rows("select before ->> 'revoked_at', after ->> 'revoked_at', actor ->> 'id' from events"
                + " where workspace_id = $1 and type = 'api_key.revoked'", ws.get("id")).get(0);
        assertEquals(null, event.getString(0));
        assertTrue(event.getString(1) != null);
    }

    @Test
    void expiredKeysAre401() {
        String owner = Tokens.user(Tokens.unique("kexp"));
        Map<String, Object> ws = teamWorkspace(owner);
        String soon = Instant.now().plus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS).toString();
        Response r = Api.as(owner).body(Map.of("name", "temp", "scopes", List.of("workspace:read"), "expires_at", soon))
                .post(keys(ws));
        assertEquals(201, r.statusCode(), r.asString());
        assertEquals(Instant.parse(soon), Instant.parse(r.path("expires_at")), r.asString());
        key(r.path("secret")).get(ws(ws)).then().statusCode(200);
        String id = r.path("id");
        db.rows("update api_keys set expires_at = now() - interval '1 second' where id = $1", id);
        key(r.path("secret")).get(ws(ws)).then().statusCode(401).body("code", equalTo("unauthenticated"))
                .header("WWW-Authenticate", startsWith("Bearer"));
        Api.as(owner).body(Map.of("name", "past", "scopes", List.of("workspace:read"), "expires_at",
                "2020-01-01T00:00:00Z")).post(keys(ws)).then().statusCode(400)
                .body("errors.field", hasItem("expires_at"));
    }

    @Test
    void rotateWithGrace() {
        String owner = Tokens.user(Tokens.unique("krot"));
        Map<String, Object> ws = teamWorkspace(owner);
        Map<String, Object> created = createKey(owner, ws, "workspace:read");
        String path = keys(ws) + "/" + created.get("id");
        Response rotated = Api.as(owner).body(Map.of("grace_seconds", 60)).post(path + "/rotate");
        rotated.then().statusCode(200).body("id", equalTo(created.get("id")))
                .body("prefix", equalTo(created.get("prefix")))
                .body("secret", matchesPattern(ApiKeyFormat.REGEX));
        String second = rotated.path("secret");
        assertNotEquals(created.get("secret"), second);
        key(created.get("secret")).get(ws(ws)).then().statusCode(200);
        key(second).get(ws(ws)).then().statusCode(200);
        // When the grace ends, only the new secret works.
        db.rows("update api_keys set previous_expires_at = now() - interval '1 second' where id = $1",
                created.get("id"));
        key(created.get("secret")).get(ws(ws)).then().statusCode(401);
        key(second).get(ws(ws)).then().statusCode(200);
        // Without grace the old secret stops at once.
        String third = Api.as(owner).body(Map.of()).post(path + "/rotate").then().statusCode(200).extract()
                .path("secret");
        key(second).get(ws(ws)).then().statusCode(401);
        key(third).get(ws(ws)).then().statusCode(200);
        // A rotation needs no body at all.
        Api.as(owner).post(path + "/rotate").then().statusCode(200)
                .body("secret", matchesPattern(ApiKeyFormat.REGEX));
        key(third).get(ws(ws)).then().statusCode(401);
        assertEquals(3, db.events(ws.get("id"), "api_key.rotated"));
        Api.as(owner).filter(Contract.invalidRequest()).body(Map.of("grace_seconds", -1)).post(path + "/rotate").then().statusCode(400)
                .body("errors.field", hasItem("grace_seconds"));
        Api.as(owner).filter(Contract.invalidRequest()).body(Map.of("grace_seconds", 604801)).post(path + "/rotate").then().statusCode(400);
    }

    @Test
    void updateReplacesNameScopesAndExpiry() {
        String owner = Tokens.user(Tokens.unique("kput"));
        Map<String, Object> ws = teamWorkspace(owner);
        Map<String, Object> created = createKey(owner, ws, "workspace:read");
        String path = keys(ws) + "/" + created.get("id");
        String etag = Api.as(owner).get(path).header("ETag");
        Api.as(owner).header("If-None-Match", etag).get(path).then().statusCode(304);
        Api.as(owner).body(Map.of("name", "renamed", "scopes", List.of("usage:read", "billing:read")))
                .put(path).then().statusCode(200)
                .body("name", equalTo("renamed"))
                .body("scopes", equalTo(List.of("billing:read", "usage:read")));
        Api.as(owner).header("If-Match", etag).body(Map.of("name", "stale", "scopes", List.of("usage:read")))
                .put(path).then().statusCode(412).body("code", equalTo("precondition_failed"));
        key(created.get("secret")).get(ws(ws)).then().statusCode(403);
        Api.as(owner).filter(Contract.invalidRequest()).body(Map.of("name", "", "scopes", List.of("nope"))).put(path).then().statusCode(400)
                .body("errors.field", hasItem("name")).body("errors.field", hasItem("scopes[0]"));
        Api.as(owner).filter(Contract.invalidRequest()).body(Map.of("name", "x", "scopes", List.of("api_keys:write"))).post(keys(ws)).then()
                .statusCode(400).body("errors.field", hasItem("scopes[0]"));
        Api.as(owner).filter(Contract.invalidRequest())
                .body(Map.of("name", "x", "scopes", List.of("workspace:read"), "secret", "mine")).post(keys(ws))
                .then().statusCode(400);
        var event = db.rows("select before -> 'scopes', after -> 'scopes' from events where workspace_id = $1"
                + " and type = 'api_key.updated'", ws.get("id")).get(0);
        assertEquals("[\"workspace:read\"]", String.valueOf(event.getValue(0)).replace(" ", ""));
        Api.as(owner).get(keys(ws) + "/key_doesnotexist").then().statusCode(404);
    }

    @Test
    void planGatesCreateUpdateRotateAndUseButNeverListOrRevoke() {
        String owner = Tokens.user(Tokens.unique("kplan"));
        Map<String, Object> free = Api.activeWorkspace(owner);
        Api.as(owner).body(Map.of("name", "k", "scopes", List.of("workspace:read"))).post(keys(free)).then()
                .statusCode(403).body("code", equalTo("plan_feature_unavailable"));
        Api.as(owner).get(keys(free)).then().statusCode(200).body("size()", equalTo(0));

        Map<String, Object> ws = teamWorkspace(owner);
        Map<String, Object> created = createKey(owner, ws, "workspace:read");
        String path = keys(ws) + "/" + created.get("id");
        setPlan(ws, "free");
        key(created.get("secret")).get(ws(ws)).then().statusCode(403)
                .body("code", equalTo("plan_feature_unavailable"));
        Api.as(owner).body(Map.of("name", "k", "scopes", List.of("workspace:read"))).put(path).then().statusCode(403)
                .body("code", equalTo("plan_feature_unavailable"));
        Api.as(owner).body(Map.of()).post(path + "/rotate").then().statusCode(403)
                .body("code", equalTo("plan_feature_unavailable"));
        Api.as(owner).get(keys(ws)).then().statusCode(200).body("size()", equalTo(1));
        Api.as(owner).get(path).then().statusCode(200);
        Api.as(owner).delete(path).then().statusCode(204);
        setPlan(ws, "enterprise");
        key(created.get("secret")).get(ws(ws)).then().statusCode(401);
    }

    @Test
    void whoMayManageKeys() {
        String owner = Tokens.user(Tokens.unique("kwho"));
        Map<String, Object> ws = teamWorkspace(owner);
        Map<String, Object> created = createKey(owner, ws, "workspace:read");
        String path = keys(ws) + "/" + created.get("id");
        Map<String, Object> body = Map.of("name", "k", "scopes", List.of("workspace:read"));
        String memberSub = Tokens.unique("kmem");
        String viewerSub = Tokens.unique("kview");
        db.addMember(ws.get("id"), memberSub, "member");
        db.addMember(ws.get("id"), viewerSub, "viewer");
        for (String token : List.of(Tokens.user(memberSub), Tokens.user(viewerSub))) {
            Api.as(token).get(keys(ws)).then().statusCode(403).body("code", equalTo("permission_denied"));
            Api.as(token).get(path).then().statusCode(403);
            Api.as(token).body(body).post(keys(ws)).then().statusCode(403);
            Api.as(token).body(body).put(path).then().statusCode(403);
            Api.as(token).delete(path).then().statusCode(403);
            Api.as(token).body(Map.of()).post(path + "/rotate").then().statusCode(403);
        }
        String stranger = Tokens.user(Tokens.unique("kstr"));
        Api.as(stranger).get(keys(ws)).then().statusCode(404).body("code", equalTo("not_found"));
        Api.as(stranger).get(path).then().statusCode(404);
        Api.as(stranger).body(body).post(keys(ws)).then().statusCode(404);
        Api.as(stranger).body(body).put(path).then().statusCode(404);
        Api.as(stranger).delete(path).then().statusCode(404);
        Api.as(stranger).body(Map.of()).post(path + "/rotate").then().statusCode(404);
        // Services never manage keys; a platform admin is no member, so a key of theirs would have no rights.
        Api.as(Tokens.service("billing-service", "atrium:workspaces:read")).get(keys(ws)).then().statusCode(403);
        Api.as(Tokens.platformAdmin(Tokens.unique("root"))).body(body).post(keys(ws)).then().statusCode(403)
                .body("code", equalTo("permission_denied"));
        RestAssured.given().get(keys(ws)).then().statusCode(401).body("code", equalTo("unauthenticated"));
        RestAssured.given().contentType("application/json").body(body).post(keys(ws)).then().statusCode(401);
        RestAssured.given().delete(path).then().statusCode(401);
        // Nobody hands a key more than they hold.
        ApiException e = assertThrows(ApiException.class,
                () -> ApiKeyService.requireWithinOwnPermissions(Role.MEMBER, List.of("workspace:read", "billing:read")));
        assertEquals(403, e.status());
        assertEquals(List.of("billing:read"), e.extensions().get("scopes"));
        ApiKeyService.requireWithinOwnPermissions(Role.ADMIN, ApiKeyService.SCOPES);
    }

    @Test
    void frozenWorkspacesKeepRevocation() {
        String owner = Tokens.user(Tokens.unique("kfrz"));
        Map<String, Object> ws = teamWorkspace(owner);
        Map<String, Object> created = createKey(owner, ws, "workspace:read");
        Api.as(owner).body(Map.of("status", "frozen", "reason", "audit")).patch(ws(ws) + "/status").then()
                .statusCode(200);
        Api.as(owner).body(Map.of("name", "k", "scopes", List.of("workspace:read"))).post(keys(ws)).then()
                .statusCode(423).body("code", equalTo("workspace_frozen"));
        key(created.get("secret")).get(ws(ws)).then().statusCode(200);
        Api.as(owner).delete(keys(ws) + "/" + created.get("id")).then().statusCode(204);
    }

    @Test
    void badKeysAre401LikeBadJwts() {
        String owner = Tokens.user(Tokens.unique("kbad"));
        Map<String, Object> ws = teamWorkspace(owner);
        Map<String, Object> created = createKey(owner, ws, "workspace:read");
        String good = (String) created.get("secret");
        String keyId = (String) created.get("id");
        String wrongSecret = ApiKeyFormat.token(keyId, ApiKeyFormat.newSecret());
        String unknownKey = ApiKeyFormat.token("key_" + keyId.substring(4, 10) + "zzzzzzzzzzzzzzzzzzzzzzzz",
                good.substring(34, 56));
        char last = good.charAt(good.length() - 1);
        String badChecksum = good.substring(0, good.length() - 1) + (last == 'A' ? 'B' : 'A');
        String foreignCell = ApiKeyFormat.token("key_ZZZZ" + keyId.substring(8), good.substring(34, 56));
        for (String token : List.of(wrongSecret, unknownKey, badChecksum, foreignCell, "atr_", "atr_short",
                good + "x", "atr_" + "!".repeat(58))) {
            for (String path : List.of(ws(ws), "/v1/me")) {
                RestAssured.given().header("Authorization", "Bearer " + token).get(path).then().statusCode(401)
                        .contentType("application/problem+json")
                        .header("WWW-Authenticate", "Bearer realm=\"atrium\", error=\"invalid_token\"")
                        .body("code", equalTo("unauthenticated"));
            }
        }
        key(good).get(ws(ws)).then().statusCode(200);
        // JWTs still work beside keys.
        Api.as(owner).get(ws(ws)).then().statusCode(200);
    }

    @Test
    void lastUsedAtIsFlushedInBatches() {
        String owner = Tokens.user(Tokens.unique("klast"));
        Map<String, Object> ws = teamWorkspace(owner);
        Map<String, Object> created = createKey(owner, ws, "workspace:read");
        String path = keys(ws) + "/" + created.get("id");
        usage.flush().await().atMost(Duration.ofSeconds(5));
        Api.as(owner).get(path).then().body("last_used_at", nullValue());
        Instant before = Instant.now().minusSeconds(1);
        for (int i = 0; i < 3; i++) {
            key(created.get("secret")).get(ws(ws)).then().statusCode(200);
        }
        usage.flush().await().atMost(Duration.ofSeconds(5));
        String lastUsed = Api.as(owner).get(path).then().statusCode(200)
                .body("last_used_at", matchesPattern(TIMESTAMP)).extract().path("last_used_at");
        assertTrue(Instant.parse(lastUsed).isAfter(before));
        assertEquals(0, db.events(ws.get("id"), "api_key.updated"));
    }

    @Test
    void secretsNeverLeak() throws Exception {
        List<String> logged = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(String.valueOf(record.getMessage()) + " " + java.util.Arrays.toString(record.getParameters())
                        + " " + record.getThrown());
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
            org.jboss.logging.Logger.getLogger(ApiKeyApiTest.class).info("log capture check");
            assertTrue(logged.stream().anyMatch(line -> line.contains("log capture check")), "the log is captured");
            String owner = Tokens.user(Tokens.unique("kleak"));
            Map<String, Object> ws = teamWorkspace(owner);
            Response first = Api.as(owner).header("Idempotency-Key", "leak-" + ws.get("id"))
                    .body(Map.of("name", "k", "scopes", List.of("workspace:read", "audit:read"))).post(keys(ws));
            first.then().statusCode(201);
            String secret = first.path("secret");
            // The replay shows the same secret, though the stored record holds it only sealed.
            Api.as(owner).header("Idempotency-Key", "leak-" + ws.get("id"))
                    .body(Map.of("name", "k", "scopes", List.of("workspace:read", "audit:read"))).post(keys(ws))
                    .then().statusCode(201).header("Idempotent-Replayed", "true")
                    .body("secret", equalTo(secret)).body("id", equalTo(first.path("id")));
            String path = keys(ws) + "/" + first.path("id");
            Response rotated = Api.as(owner).header("Idempotency-Key", "rot-" + ws.get("id"))
                    .body(Map.of("grace_seconds", 30)).post(path + "/rotate");
            String second = rotated.then().statusCode(200).extract().path("secret");
            Api.as(owner).body(Map.of("name", "k2", "scopes", List.of("workspace:read", "audit:read"))).put(path)
                    .then().statusCode(200);
            key(second).get(ws(ws) + "/audit").then().statusCode(200);
            key(secret + "0").get(ws(ws)).then().statusCode(401);
            Api.as(owner).delete(path).then().statusCode(204);
            for (String s : List.of(secret, second)) {
                String random = s.substring(34, 56);
                assertEquals(0, db.count("select count(*) from events e where e::text like $1", "%" + random + "%"));
                assertEquals(0, db.count("select count(*) from idempotency_keys i where i::text like $1",
                        "%" + random + "%"));
                assertEquals(0, db.count("select count(*) from api_keys k where k::text like $1", "%" + random + "%"));
                String audit = Api.as(owner).get(ws(ws) + "/audit?limit=1000").then().statusCode(200).extract()
                        .asString();
                assertFalse(audit.contains(random));
                assertTrue(audit.contains("api_key.rotated"));
                assertFalse(logged.stream().anyMatch(line -> line.contains(random)), "secret in the log");
            }
            assertEquals(2, db.count("select count(*) from idempotency_keys where path like $1 and response_body"
                    + " like '%secret_sealed%'", keys(ws) + "%"));
        } finally {
            root.removeHandler(capture);
        }
    }

    @Test
    void openApiPublishesTheKeyPattern() {
        String doc = RestAssured.given().get("/q/openapi?format=json").then().statusCode(200).extract().asString();
        assertTrue(doc.contains(ApiKeyFormat.REGEX.replace("\\", "\\\\")) || doc.contains(ApiKeyFormat.REGEX));
        for (int i = 0; i < 50; i++) {
            String token = ApiKeyFormat.token("key_" + "AbCd" + "0".repeat(26 - String.valueOf(i).length()) + i,
                    ApiKeyFormat.newSecret());
            assertTrue(ApiKeyFormat.PATTERN.matcher(token).matches());
            assertTrue(ApiKeyFormat.parse(token).isPresent());
        }
    }

    @Test
    void parallelCreatesStayWithinTheKeyLimit() throws Exception {
        String owner = Tokens.user(Tokens.unique("kpar"));
        Map<String, Object> ws = teamWorkspace(owner); // team: 25 keys
        db.rows("insert into api_keys (id, workspace_id, name, prefix, scopes, secret_hash, creator_user_id,"
                + " created_at, created_by, updated_at) select 'key_seed' || $1 || g, $1, 'seed', 'atr_seed',"
                + " 'workspace:read', '\\x00'::bytea, 'seed', now(), '{}'::jsonb, now()"
                + " from generate_series(1, 15) g", ws.get("id"));
        // Revoked and expired keys do not count.
        db.rows("insert into api_keys (id, workspace_id, name, prefix, scopes, secret_hash, creator_user_id,"
                + " created_at, created_by, updated_at, revoked_at, expires_at) values ('key_gone' || $1, $1, 'gone',"
                + " 'atr_gone', '', '\\x00'::bytea, 'seed', now(), '{}'::jsonb, now(), now(), null),"
                + " ('key_old' || $1, $1, 'old', 'atr_old', '', '\\x00'::bytea, 'seed', now(), '{}'::jsonb,"
                + " now(), null, now() - interval '1 day')", ws.get("id"));
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Callable<Response>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int n = i;
                calls.add(() -> Api.as(owner).body(Map.of("name", "p" + n, "scopes", List.of("workspace:read")))
                        .post(keys(ws)));
            }
            Map<Integer, Integer> statuses = new HashMap<>();
            for (Future<Response> f : pool.invokeAll(calls)) {
                Response r = f.get();
                statuses.merge(r.statusCode(), 1, Integer::sum);
                if (r.statusCode() == 403) {
                    assertEquals("limit_exceeded", r.path("code"));
                }
            }
            assertEquals(Map.of(201, 10, 403, 10), statuses);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(25, db.count("select count(*) from api_keys where workspace_id = $1 and revoked_at is null"
                + " and (expires_at is null or expires_at > now())", ws.get("id")));
        assertEquals(10, db.events(ws.get("id"), "api_key.created"));
    }

    @Test
    void aRotatedKeyAnswersToWhoeverRotatedItAndIsRevokedWhenTheyAreRemoved() {
        String ownerId = Tokens.unique("hold");
        String owner = Tokens.user(ownerId);
        Map<String, Object> ws = teamWorkspace(owner);
        String adminId = Tokens.unique("rotator");
        String admin = Tokens.user(adminId);
        db.addMember(ws.get("id"), adminId, "admin");
        Map<String, Object> created = createKey(owner, ws, "workspace:read", "workspace:update");
        String path = keys(ws) + "/" + created.get("id");
        Object rotated = Api.as(admin).body(Map.of("grace_seconds", 0)).post(path + "/rotate").then().statusCode(200)
                .extract().path("secret");
        key(rotated).body(Map.of("name", "Renamed by the rotated key")).patch(ws(ws)).then().statusCode(200);
        // The key follows its holder, the admin who rotated it, not its creator (still the owner).
        String adminMember = memberId(ws, adminId);
        Api.as(owner).body(Map.of("role", "viewer")).patch(ws(ws) + "/members/" + adminMember).then().statusCode(200);
        key(rotated).body(Map.of("name", "Not any more")).patch(ws(ws)).then().statusCode(403)
                .body("code", equalTo("permission_denied"));
        key(rotated).get(ws(ws)).then().statusCode(200);
        // Removed, the holder takes the key's rights along: it is revoked, and the audit log says so.
        Api.as(owner).delete(ws(ws) + "/members/" + adminMember).then().statusCode(204);
        key(rotated).get(ws(ws)).then().statusCode(401).body("code", equalTo("unauthenticated"));
        Api.as(owner).get(path).then().statusCode(200).body("revoked_at", notNullValue());
        List<io.vertx.mutiny.sqlclient.Row> revoked = db.rows("select actor->>'id' from events where workspace_id = $1"
                + " and type = 'api_key.revoked' and resource_id = $2", ws.get("id"), created.get("id"));
        assertEquals(1, revoked.size());
        assertEquals(ownerId, revoked.get(0).getString(0));
    }

    @Test
    void aMembersKeysAreRevokedWhenTheyLeave() {
        String owner = Tokens.user(Tokens.unique("leave"));
        Map<String, Object> ws = teamWorkspace(owner);
        String adminId = Tokens.unique("leaver");
        String admin = Tokens.user(adminId);
        db.addMember(ws.get("id"), adminId, "admin");
        Object mine = createKey(admin, ws, "workspace:read").get("secret");
        Object owners = createKey(owner, ws, "workspace:read").get("secret");
        Api.as(admin).delete(ws(ws) + "/members/" + memberId(ws, adminId)).then().statusCode(204);
        key(mine).get(ws(ws)).then().statusCode(401);
        key(owners).get(ws(ws)).then().statusCode(200);
        assertEquals(1, db.events(ws.get("id"), "api_key.revoked"));
    }

    @Test
    void aRemovedMemberCannotReplayAKeyCreationToReadItsSecretAgain() {
        String owner = Tokens.user(Tokens.unique("replay"));
        Map<String, Object> ws = teamWorkspace(owner);
        String adminId = Tokens.unique("replayer");
        String admin = Tokens.user(adminId);
        db.addMember(ws.get("id"), adminId, "admin");
        Map<String, Object> body = Map.of("name", "ci", "scopes", List.of("workspace:read"));
        String first = Api.as(admin).header("Idempotency-Key", "create-once").body(body).post(keys(ws)).then()
                .statusCode(201).extract().path("secret");
        Api.as(admin).header("Idempotency-Key", "create-once").body(body).post(keys(ws)).then().statusCode(201)
                .header("Idempotent-Replayed", "true").body("secret", equalTo(first));
        Api.as(owner).delete(ws(ws) + "/members/" + memberId(ws, adminId)).then().statusCode(204);
        Response replay = Api.as(admin).header("Idempotency-Key", "create-once").body(body).post(keys(ws));
        replay.then().statusCode(404).body("code", equalTo("not_found"));
        assertFalse(replay.asString().contains(first));
    }

    private String memberId(Map<String, Object> ws, String userId) {
        return db.rows("select id from workspace_members where workspace_id = $1 and user_id = $2", ws.get("id"), userId)
                .get(0).getString(0);
    }
}
