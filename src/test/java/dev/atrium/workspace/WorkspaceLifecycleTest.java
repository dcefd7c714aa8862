package dev.atrium.workspace;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.ChoresRunner;
import dev.atrium.support.Db;
import dev.atrium.support.FakeDataplane;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import jakarta.inject.Inject;

/** Delete, restore and purge over HTTP, and the invitation expiry job. */
@QuarkusTest
class WorkspaceLifecycleTest {


    @Inject
    Db db;

    @Inject
    ChoresRunner chores;

    private String status(Object id) {
        return db.workspaceStatus(id);
    }

    private void awaitStatus(Object id, String expected) throws InterruptedException {
        assertEquals(expected, db.awaitWorkspaceStatus(id, expected), "workspace " + id);
    }

    private Map<String, Object> deleted(String token, Map<String, Object> ws) throws InterruptedException {
        Api.as(token).delete("/v1/workspaces/" + ws.get("id")).then().statusCode(202);
        awaitStatus(ws.get("id"), "deleted");
        return Api.as(token).get("/v1/workspaces/" + ws.get("id")).then().statusCode(200).extract().jsonPath()
                .getMap("");
    }

    @Test
    void deleteIsOwnerOnlyAndHonoursIfMatch() {
        String ownerSub = Tokens.unique("owner");
        String owner = Tokens.user(ownerSub);
        Map<String, Object> ws = Api.activeWorkspace(owner);
        String path = "/v1/workspaces/" + ws.get("id");
        String adminSub = Tokens.unique("admin");
        db.addMember(ws.get("id"), adminSub, "admin");

        RestAssured.given().delete(path).then().statusCode(401).body("code", equalTo("unauthenticated"));
        Api.as(Tokens.signUntrusted(Tokens.userClaims(ownerSub))).delete(path).then().statusCode(401);
        Api.as(Tokens.user(adminSub)).delete(path).then().statusCode(403).body("code", equalTo("permission_denied"));
        Api.as(Tokens.user(Tokens.unique("stranger"))).delete(path).then().statusCode(404);
        Api.as(Tokens.service("billing-service", "atrium:admin")).delete(path).then().statusCode(403);
        Api.as(owner).header("If-Match", "\"999.999\"").delete(path).then().statusCode(412)
                .body("code", equalTo("precondition_failed"));
        assertEquals("active", status(ws.get("id")), "refused deletes change nothing");
        assertEquals(0, db.events(ws.get("id"), "workspace.deleted"));

        String etag = Api.as(owner).get(path).then().extract().header("ETag");
        Response r = Api.as(owner).header("If-Match", etag).delete(path);
        r.then().statusCode(202).body("status", equalTo("deleting"))
                .body("deleted_at", notNullValue()).body("purge_at", notNullValue())
                .header("Link", matchesPattern("</v1/provisioning-runs/run_[0-9A-Za-z]{30}>; rel=\"monitor\""))
                .header("Retry-After", equalTo("1"));
        Instant deletedAt = Instant.parse(r.path("deleted_at"));
        Instant purgeAt = Instant.parse(r.path("purge_at"));
        assertEquals(Duration.ofDays(30), Duration.between(deletedAt, purgeAt), "retention defaults to 30 days");
        assertEquals(1, db.events(ws.get("id"), "workspace.deleted"));

        Api.as(owner).delete(path).then().statusCode(409).body("code", equalTo("invalid_state_transition"));
    }

    @Test
    void theDeleteRunDeprovisionsAndEndsDeleted() throws InterruptedException {
        String owner = Tokens.user(Tokens.unique("del"));
        Map<String, Object> ws = Api.activeWorkspace(owner);
        Object id = ws.get("id");
        Map<String, Object> gone = deleted(owner, ws);
        assertEquals("deleted", gone.get("status"));
        assertTrue(gone.get("purge_at") != null);
        String run = (String) gone.get("provisioning_run_id");
        Api.as(owner).get("/v1/provisioning-runs/" + run).then().statusCode(200)
                .body("kind", equalTo("delete")).body("status", equalTo("succeeded"))
                .body("steps.name", equalTo(List.of("access", "dataplane", "environments", "finalize")))
                .body("steps.status", equalTo(List.of("succeeded", "succeeded", "succeeded", "succeeded")));
        List<FakeDataplane.Call> calls = FakeDataplane.calls((String) id);
        assertEquals("DELETE", calls.get(calls.size() - 1).method());
        assertEquals(run + ":dataplane", calls.get(calls.size() - 1).idempotencyKey());
        assertEquals(0, db.count("select count(*) from access_relationships where workspace_id = $1", id));
        assertEquals(3, db.count("select count(*) from environments where workspace_id = $1 and status = 'deleted'",
                id));

        // Lists hide it unless asked for deleted ones; writes are refused naming the status.
        assertFalse(Api.as(owner).get("/v1/workspaces").then().statusCode(200).extract().jsonPath()
                .getList("id").contains(id));
        assertTrue(Api.as(owner).get("/v1/workspaces?status=deleted").then().statusCode(200).extract().jsonPath()
                .getList("id").contains(id));
        Api.as(owner).body(Map.of("name", "x")).patch("/v1/workspaces/" + id).then().statusCode(409)
                .body("code", equalTo("invalid_state_transition"));
    }

    @Test
    void restoreBringsBackTheStatusMembersAndKeysAndTheSlugStaysHeld() throws InterruptedException {
        String ownerSub = Tokens.unique("rest");
        String owner = Tokens.user(ownerSub);
        Map<String, Object> ws = Api.activeWorkspace(owner);
        Object id = ws.get("id");
        String path = "/v1/workspaces/" + id;
        Api.as(Tokens.service("billing-service", "atrium:admin")).body(Map.of("plan", "team")).patch(path).then()
                .statusCode(200);
        String key = Api.as(owner).body(Map.of("name", "ci", "scopes", List.of("workspace:read"))).post(path
                + "/api-keys").then().statusCode(201).extract().path("id");
        String memberSub = Tokens.unique("m");
        db.addMember(id, memberSub, "member");
        Api.as(owner).post(path + "/archive").then().statusCode(200).body("status", equalTo("archived"));

        Api.as(owner).post(path + "/restore").then().statusCode(409).body("code", equalTo("invalid_state_transition"))
                .body("current_status", equalTo("archived"));
        deleted(owner, ws);

        // The slug stays held while the workspace is restorable.
        Api.as(owner).body(Map.of("name", "again", "organization_id", ws.get("organization_id"), "slug",
                ws.get("slug"))).post("/v1/workspaces").then().statusCode(409).body("field", equalTo("slug"));

        Api.as(Tokens.user(memberSub)).post(path + "/restore").then().statusCode(403);
        Api.as(Tokens.user(Tokens.unique("x"))).post(path + "/restore").then().statusCode(404);
        RestAssured.given().post(path + "/restore").then().statusCode(401);

        Api.as(owner).post(path + "/restore").then().statusCode(200).body("status", equalTo("archived"))
                .body("deleted_at", nullValue()).body("purge_at", nullValue());
        assertEquals(1, db.events(id, "workspace.restored"));
        Api.as(owner).get(path + "/members").then().statusCode(200).body("size()", equalTo(2));
        Api.as(owner).get(path + "/api-keys/" + key).then().statusCode(200).body("revoked_at", nullValue());
        Api.as(owner).get(path + "/environments").then().statusCode(200)
                .body("status", equalTo(List.of("ready", "ready", "ready")));
        assertEquals(2, db.count("select count(*) from access_relationships where workspace_id = $1", id));
    }

    @Test
    void restoreAfterRetentionIsRefusedAndThePurgeRemovesEverything() throws InterruptedException {
        String owner = Tokens.user(Tokens.unique("purge"));
        Map<String, Object> ws = Api.activeWorkspace(owner);
        Object id = ws.get("id");
        String path = "/v1/workspaces/" + id;
        Api.as(owner).body(Map.of("email", Tokens.unique("inv") + "@example.com", "role", "member"))
                .post(path + "/members/invite").then().statusCode(201);
        deleted(owner, ws);
        // An event older than the audit retention goes with the workspace; younger ones stay for audit.
        db.rows("update events set occurred_at = now() - interval '500 days' where workspace_id = $1"
                + " and type = 'workspace.created'", id);
        long kept = db.count("select count(*) from events where workspace_id = $1", id) - 1;
        db.rows("update workspaces set purge_at = now() - interval '1 second' where id = $1", id);

        Api.as(owner).post(path + "/restore").then().statusCode(409).body("code", equalTo("invalid_state_transition"));

        assertEquals(1, chores.runOnce().workspacesPurged());
        assertEquals("gone", status(id));
        Api.as(owner).get(path).then().statusCode(404);
        for (String table : List.of("workspace_members", "invitations", "environments", "provisioning_runs",
                "access_relationships")) {
            assertEquals(0, db.count("select count(*) from " + table + " where workspace_id = $1", id), table);
        }
        assertEquals(0, db.events(id, "workspace.created"));
        assertEquals(1, db.events(id, "workspace.purged"));
        assertEquals(kept + 1, db.count("select count(*) from events where workspace_id = $1", id));

        // The slug is free again.
        Api.as(owner).body(Map.of("name", "again", "organization_id", ws.get("organization_id"), "slug",
                ws.get("slug"))).post("/v1/workspaces").then().statusCode(202);
        assertEquals(0, chores.runOnce().workspacesPurged());
    }

    @Test
    void theExpiryJobStoresExpiredInvitationsWithTheirEvent() {
        String owner = Tokens.user(Tokens.unique("exp"));
        Map<String, Object> ws = Api.activeWorkspace(owner);
        String invitation = Api.as(owner).body(Map.of("email", Tokens.unique("late") + "@example.com", "role",
                "member")).post("/v1/workspaces/" + ws.get("id") + "/members/invite").then().statusCode(201)
                .extract().path("id");
        db.rows("update invitations set expires_at = now() - interval '1 minute' where id = $1", invitation);

        chores.runOnce();
        assertEquals("expired", db.rows("select status from invitations where id = $1", invitation).get(0)
                .getString(0));
        assertEquals(1, db.count("select count(*) from events where resource_id = $1 and type = 'invitation.expired'",
                invitation));
        chores.runOnce();
        assertEquals(1, db.count("select count(*) from events where resource_id = $1 and type = 'invitation.expired'",
                invitation), "expired once");
    }
}
