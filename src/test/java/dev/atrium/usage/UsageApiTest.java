package dev.atrium.usage;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;

@QuarkusTest
class UsageApiTest {

    @Inject
    Db db;

    @Inject
    UsageCounter counter;

    private static String path(Map<String, Object> ws) {
        return "/v1/workspaces/" + ws.get("id");
    }

    private void flush() {
        counter.flush().await().atMost(Duration.ofSeconds(10));
    }

    private static long today(String token, Map<String, Object> ws) {
        Response r = Api.as(token).get(path(ws) + "/usage");
        r.then().statusCode(200);
        return r.jsonPath().getLong("api_calls.today");
    }

    /**
     * A call is counted once its response has been sent, a moment after the client may already hold it: waits for
     * the counter (table plus memory, read as the endpoint reads it) to reach {@code expected}, never past it.
     */
    private void awaitCounted(Map<String, Object> ws, long expected) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        long seen;
        do {
            seen = counter.calls(ws.get("id").toString(), today, today).await().atMost(Duration.ofSeconds(5))
                    .getOrDefault(today, 0L);
            assertTrue(seen <= expected, "counted " + seen + ", more than the " + expected + " calls made");
            if (seen == expected) {
                return;
            }
            sleep();
        } while (System.nanoTime() < deadline);
        assertEquals(expected, seen);
    }

    private void awaitPending(Map<String, Object> ws, long expected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (counter.pending(ws.get("id").toString()) < expected && System.nanoTime() < deadline) {
            sleep();
        }
        assertEquals(expected, counter.pending(ws.get("id").toString()));
    }

    private static void sleep() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private long stored(Map<String, Object> ws) {
        List<io.vertx.mutiny.sqlclient.Row> rows = db.rows(
                "select api_calls from workspace_usage where workspace_id = $1 and day = $2", ws.get("id"),
                LocalDate.now(ZoneOffset.UTC));
        return rows.isEmpty() ? 0 : rows.get(0).getLong(0);
    }

    @Test
    void callsOnAWorkspacesPathsAreCountedAtOnceAndAfterAFlush() {
        String token = Tokens.user(Tokens.unique("cnt"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        Map<String, Object> other = Api.activeWorkspace(token);
        flush();
        // Creating a workspace is not a call on its path; the first read of usage sees nothing yet.
        assertEquals(0, today(token, ws));
        for (int i = 0; i < 5; i++) {
            Api.as(token).get(path(ws)).then().statusCode(200);
        }
        Api.as(token).get(path(ws) + "/environments").then().statusCode(200);
        // Not counted for ws: another workspace, the flat invitation paths, a stranger's 404 and a missing token.
        Api.as(token).get(path(other)).then().statusCode(200);
        Api.as(token).get("/v1/workspaces").then().statusCode(200);
        Api.as(token).get("/v1/workspaces/invitations/pending").then().statusCode(200);
        Api.as(Tokens.user(Tokens.unique("stranger"))).get(path(ws)).then().statusCode(404);
        Api.as("not-a-token").get(path(ws)).then().statusCode(401);
        io.restassured.RestAssured.given().get(path(ws) + "/usage").then().statusCode(401);
        // Before any flush: 1 usage read + 5 reads + 1 environments list, seen from memory.
        assertEquals(7, today(token, ws));
        awaitCounted(ws, 8);
        flush();
        assertEquals(8, stored(ws));
        assertEquals(0, counter.pending(ws.get("id").toString()));
        // After the flush the same figure comes from the table.
        Response r = Api.as(token).get(path(ws) + "/usage?days=3");
        r.then().statusCode(200)
                .body("api_calls.today", equalTo(8))
                .body("api_calls.days.size()", equalTo(3))
                .body("api_calls.days[0].date", equalTo(LocalDate.now(ZoneOffset.UTC).toString()))
                .body("api_calls.days[0].calls", equalTo(8))
                .body("api_calls.days[1].date", equalTo(LocalDate.now(ZoneOffset.UTC).minusDays(1).toString()))
                .body("api_calls.days[1].calls", equalTo(0));
        awaitCounted(ws, 9);
        flush();
        assertEquals(9, stored(ws));
        assertEquals(1, today(token, other));
    }

    @Test
    void callsAuthenticatedByAnApiKeyCountForItsWorkspace() {
        String token = Tokens.user(Tokens.unique("key"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        Map<String, Object> other = Api.activeWorkspace(token);
        Api.as(Tokens.service("billing-service", "atrium:admin")).body(Map.of("plan", "team")).patch(path(ws)).then()
                .statusCode(200);
        Response created = Api.as(token).body(Map.of("name", "ci", "scopes", List.of("workspace:read", "usage:read")))
                .post(path(ws) + "/api-keys");
        created.then().statusCode(201);
        String key = created.path("secret");
        long before = today(token, ws);
        // The plan change and the key's creation were calls on the workspace's paths.
        assertEquals(2, before);
        Api.as(key).get(path(ws)).then().statusCode(200);
        Api.as(key).get(path(ws) + "/usage").then().statusCode(200).body("api_calls.today", equalTo(4));
        // Outside its workspace the key is refused, but the call was still made with the workspace's key.
        Api.as(key).get("/v1/me").then().statusCode(403).body("code", equalTo("api_key_not_allowed"));
        Api.as(key).get(path(other)).then().statusCode(404);
        assertEquals(before + 1 + 4, today(token, ws));
        assertEquals(0, today(token, other));
        awaitCounted(ws, before + 1 + 4 + 1);
        flush();
        assertEquals(before + 1 + 4 + 1, stored(ws));
    }

    @Test
    void aFailedFlushKeepsItsCountsForTheNextOne() {
        String token = Tokens.user(Tokens.unique("keep"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        flush();
        db.rows("alter table workspace_usage rename to workspace_usage_away");
        try {
            for (int i = 0; i < 4; i++) {
                Api.as(token).get(path(ws)).then().statusCode(200);
            }
            awaitPending(ws, 4);
            boolean failed = false;
            try {
                flush();
            } catch (RuntimeException expected) {
                failed = true;
            }
            assertTrue(failed, "the flush must fail while the table is away");
            assertEquals(4, counter.pending(ws.get("id").toString()));
        } finally {
            db.rows("alter table workspace_usage_away rename to workspace_usage");
        }
        flush();
        assertEquals(4, stored(ws));
        assertEquals(4, today(token, ws));
        awaitCounted(ws, 5);
        flush();
        assertEquals(5, stored(ws));
    }

    @Test
    void aGracefulStopWritesWhatIsStillInMemory() {
        String token = Tokens.user(Tokens.unique("stop"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        for (int i = 0; i < 3; i++) {
            Api.as(token).get(path(ws)).then().statusCode(200);
        }
        awaitPending(ws, 3);
        counter.onStop(new ShutdownEvent());
        assertEquals(0, counter.pending(ws.get("id").toString()));
        assertEquals(3, stored(ws));
    }

    @Test
    void twoHundredParallelCallsCountExactlyTwoHundred() throws Exception {
        String token = Tokens.user(Tokens.unique("par"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        flush();
        long before = today(token, ws);
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                calls.add(pool.submit(() -> Api.as(token).get(path(ws)).statusCode()));
            }
            for (Future<Integer> call : calls) {
                assertEquals(200, call.get());
            }
        } finally {
            pool.shutdown();
        }
        awaitCounted(ws, before + 1 + 200);
        flush();
        assertEquals(before + 1 + 200, stored(ws));
        assertEquals(before + 1 + 200, today(token, ws));
    }

    @Test
    void daysIsOneToNinety() {
        String token = Tokens.user(Tokens.unique("days"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        for (String bad : List.of("0", "91", "-1", "abc", "1.5", "1e1")) {
            Api.as(token).get(path(ws) + "/usage?days=" + bad).then().statusCode(400)
                    .body("code", equalTo("validation_failed"))
                    .body("errors.field", hasItem("days"));
        }
        Api.as(token).get(path(ws) + "/usage").then().statusCode(200).body("api_calls.days.size()", equalTo(30));
        Api.as(token).get(path(ws) + "/usage?days=1").then().statusCode(200).body("api_calls.days.size()", equalTo(1));
        Response r = Api.as(token).get(path(ws) + "/usage?days=90");
        r.then().statusCode(200).body("api_calls.days.size()", equalTo(90));
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        List<String> dates = r.jsonPath().getList("api_calls.days.date");
        for (int i = 0; i < 90; i++) {
            assertEquals(today.minusDays(i).toString(), dates.get(i));
        }
    }

    @Test
    void seatsKeysAndLimitsInSingleAndPooledModes() {
        String token = Tokens.user(Tokens.unique("seat"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        Api.as(token).get(path(ws) + "/usage").then().statusCode(200)
                .body("object", equalTo("usage"))
                .body("workspace_id", equalTo(ws.get("id")))
                .body("members", equalTo(1))
                .body("pending_invitations", equalTo(0))
                .body("seats.used", equalTo(1))
                .body("seats.limit", equalTo(5))
                .body("api_keys", equalTo(0));
        db.addMember(ws.get("id"), Tokens.unique("m1"), "member");
        db.addMember(ws.get("id"), Tokens.unique("m2"), "viewer");
        invitation(ws, "pending", "now() + interval '1 day'");
        invitation(ws, "pending", "now() - interval '1 second'");
        invitation(ws, "revoked", "now() + interval '1 day'");
        invitation(ws, "accepted", "now() + interval '1 day'");
        apiKey(ws, null, null);
        apiKey(ws, "now() + interval '1 day'", null);
        apiKey(ws, "now() - interval '1 second'", null);
        apiKey(ws, null, "now()");
        Api.as(token).get(path(ws) + "/usage").then().statusCode(200)
                .body("members", equalTo(3))
                .body("pending_invitations", equalTo(1))
                .body("seats.used", equalTo(4))
                .body("seats.limit", equalTo(5))
                .body("api_keys", equalTo(2));
        Api.as(token).body(Map.of("billing_mode", "pooled")).patch(path(ws)).then().statusCode(200);
        Api.as(token).body(Map.of("pooled_seat_limit", 4)).patch(path(ws)).then().statusCode(200);
        Api.as(token).get(path(ws) + "/usage").then().statusCode(200)
                .body("seats.used", equalTo(4)).body("seats.limit", equalTo(4));
        Api.as(token).get(path(ws) + "/billing").then().statusCode(200)
                .body("billing_mode", equalTo("pooled")).body("pooled_seat_limit", equalTo(4))
                .body("seats.used", equalTo(4)).body("seats.limit", equalTo(4));
        Api.as(Tokens.service("billing-service", "atrium:admin")).body(Map.of("plan", "team")).patch(path(ws)).then()
                .statusCode(200);
        Api.as(token).body(Map.of("pooled_seat_limit", 40)).patch(path(ws)).then().statusCode(200);
        db.addMember(ws.get("id"), Tokens.unique("m3"), "admin");
        Api.as(token).get(path(ws) + "/usage").then().statusCode(200)
                .body("members", equalTo(4)).body("seats.used", equalTo(5)).body("seats.limit", equalTo(40));
        Api.as(token).body(Map.of("billing_mode", "single")).patch(path(ws)).then().statusCode(200);
        Api.as(token).get(path(ws) + "/usage").then().statusCode(200).body("seats.limit", equalTo(100));
    }

    private void invitation(Map<String, Object> ws, String status, String expiresAt) {
        db.rows("insert into invitations (id, workspace_id, email, role, status, token_hash, ttl_seconds, expires_at,"
                + " invited_by, inviter_id, created_at, updated_at) values ('inv_test' || md5(random()::text), $1,"
                + " md5(random()::text) || '@example.com', 'member', $2, md5(random()::text), 86400, " + expiresAt
                + ", '{}'::jsonb, 'someone', now(), now())", ws.get("id"), status);
    }

    private void apiKey(Map<String, Object> ws, String expiresAt, String revokedAt) {
        db.rows("insert into api_keys (id, workspace_id, name, prefix, scopes, secret_hash, creator_user_id, created_at,"
                + " created_by, updated_at, expires_at, revoked_at) values ('key_test' || md5(random()::text), $1,"
                + " 'k', 'atr_x', '[]'::jsonb, decode('00', 'hex'), 'someone', now(), '{}'::jsonb, now(), "
                + (expiresAt == null ? "null" : expiresAt) + ", " + (revokedAt == null ? "null" : revokedAt) + ")",
                ws.get("id"));
    }

    @Test
    void billingShowsThePlansEntitlements() {
        String token = Tokens.user(Tokens.unique("plan"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        Api.as(token).get(path(ws) + "/billing").then().statusCode(200)
                .body("object", equalTo("billing"))
                .body("workspace_id", equalTo(ws.get("id")))
                .body("billing_mode", equalTo("single"))
                .body("plan", equalTo("free"))
                .body("pooled_seat_limit", nullValue())
                .body("seats.used", equalTo(1))
                .body("seats.limit", equalTo(5))
                .body("api_access", equalTo(false))
                .body("max_api_keys", equalTo(0))
                .body("max_members", equalTo(5))
                .body("audit_retention_days", equalTo(30));
        String billingService = Tokens.service("billing-service", "atrium:admin");
        Api.as(billingService).body(Map.of("plan", "team")).patch(path(ws)).then().statusCode(200);
        Api.as(token).get(path(ws) + "/billing").then().statusCode(200)
                .body("plan", equalTo("team"))
                .body("seats.limit", equalTo(100))
                .body("api_access", equalTo(true))
                .body("max_api_keys", equalTo(25))
                .body("max_members", equalTo(100))
                .body("audit_retention_days", equalTo(365));
        Api.as(billingService).body(Map.of("plan", "enterprise")).patch(path(ws)).then().statusCode(200);
        Api.as(token).get(path(ws) + "/billing").then().statusCode(200)
                .body("plan", equalTo("enterprise"))
                .body("seats.limit", equalTo(1000))
                .body("api_access", equalTo(true))
                .body("max_api_keys", equalTo(500))
                .body("max_members", equalTo(1000))
                .body("audit_retention_days", equalTo(2555));
    }

    @Test
    void whoMayRead() {
        String owner = Tokens.user(Tokens.unique("own"));
        Map<String, Object> ws = Api.activeWorkspace(owner);
        String admin = Tokens.unique("adm");
        String member = Tokens.unique("mem");
        String viewer = Tokens.unique("vwr");
        db.addMember(ws.get("id"), admin, "admin");
        db.addMember(ws.get("id"), member, "member");
        db.addMember(ws.get("id"), viewer, "viewer");
        for (String endpoint : List.of("/usage", "/billing")) {
            String p = path(ws) + endpoint;
            Api.as(owner).get(p).then().statusCode(200);
            Api.as(Tokens.user(admin)).get(p).then().statusCode(200);
            Api.as(Tokens.user(member)).get(p).then().statusCode(403).body("code", equalTo("permission_denied"));
            Api.as(Tokens.user(viewer)).get(p).then().statusCode(403).body("code", equalTo("permission_denied"));
            Api.as(Tokens.user(Tokens.unique("out"))).get(p).then().statusCode(404).body("code", equalTo("not_found"));
            Api.as(Tokens.service("provisioner", "atrium:workspaces:read")).get(p).then().statusCode(200);
            Api.as(Tokens.service("provisioner", "atrium:events:read")).get(p).then().statusCode(404);
            Api.as(Tokens.platformAdmin(Tokens.unique("root"))).get(p).then().statusCode(200);
            io.restassured.RestAssured.given().get(p).then().statusCode(401).body("code", equalTo("unauthenticated"));
            Api.as(owner).get("/v1/workspaces/ws_" + "0".repeat(30) + endpoint).then().statusCode(404);
        }
    }

    @Test
    void readableWhileFrozenOrArchived() {
        String token = Tokens.user(Tokens.unique("frz"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        Api.as(token).body(Map.of("status", "frozen", "reason", "audit")).patch(path(ws) + "/status").then()
                .statusCode(200);
        Api.as(token).get(path(ws) + "/usage").then().statusCode(200).body("members", equalTo(1));
        Api.as(token).get(path(ws) + "/billing").then().statusCode(200).body("plan", equalTo("free"));
        Api.as(token).body(Map.of("status", "active")).patch(path(ws) + "/status").then().statusCode(200);
        Api.as(token).post(path(ws) + "/archive").then().statusCode(200);
        Api.as(token).get(path(ws) + "/usage").then().statusCode(200).body("members", equalTo(1));
        Api.as(token).get(path(ws) + "/billing").then().statusCode(200).body("plan", equalTo("free"));
    }
}
