package dev.atrium.common;

import static dev.atrium.support.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;

/**
 * {@code If-Match} on every write to a resource that has an {@code ETag}, beyond PATCH and DELETE: the status change,
 * archive and unarchive, the ownership transfer, the key rotation, the organization member changes and the invitation
 * revocation. A stale tag is 412 {@code precondition_failed} and changes nothing (no row, no event); the current one
 * lets the write through.
 */
@QuarkusTest
class PreconditionsTest {

    private static final String STALE = "\"0.0\"";

    @Inject
    Db db;

    @Test
    void statusChangesHonourIfMatch() {
        String owner = Tokens.user(Tokens.unique("pre"));
        String id = (String) Api.activeWorkspace(owner).get("id");
        String path = "/v1/workspaces/" + id + "/status";
        stale(as(owner).header("If-Match", STALE).body(Map.of("status", "frozen")).patch(path));
        assertEquals("active", db.workspaceStatus(id));
        assertEquals(0, events(id, "workspace.frozen"));
        Response frozen = as(owner).header("If-Match", etag(owner, id)).body(Map.of("status", "frozen")).patch(path);
        frozen.then().statusCode(200).body("status", equalTo("frozen"));
        // The answer's ETag is the one the next conditional write needs.
        stale(as(owner).header("If-Match", STALE).body(Map.of("status", "active")).patch(path));
        as(owner).header("If-Match", frozen.header("ETag")).body(Map.of("status", "active")).patch(path).then()
                .statusCode(200).body("status", equalTo("active"));
    }

    @Test
    void archiveAndUnarchiveHonourIfMatch() {
        String owner = Tokens.user(Tokens.unique("pre"));
        String id = (String) Api.activeWorkspace(owner).get("id");
        stale(as(owner).header("If-Match", STALE).post("/v1/workspaces/" + id + "/archive"));
        assertEquals("active", db.workspaceStatus(id));
        String archived = as(owner).header("If-Match", etag(owner, id)).post("/v1/workspaces/" + id + "/archive")
                .then().statusCode(200).body("status", equalTo("archived")).extract().header("ETag");
        stale(as(owner).header("If-Match", STALE).post("/v1/workspaces/" + id + "/unarchive"));
        assertEquals("archived", db.workspaceStatus(id));
        as(owner).header("If-Match", archived).post("/v1/workspaces/" + id + "/unarchive").then().statusCode(200)
                .body("status", equalTo("active"));
    }

    @Test
    void anOwnershipTransferHonoursTheWorkspacesIfMatch() {
        String ownerId = Tokens.unique("pre");
        String owner = Tokens.user(ownerId);
        String id = (String) Api.activeWorkspace(owner).get("id");
        String heirId = Tokens.unique("heir");
        db.addMember(id, heirId, "admin");
        String heir = db.rows("select id from workspace_members where workspace_id = $1 and user_id = $2", id, heirId)
                .get(0).getString(0);
        String path = "/v1/workspaces/" + id + "/transfer-ownership";
        String before = etag(owner, id);
        as(owner).body(Map.of("name", "Renamed meanwhile")).patch("/v1/workspaces/" + id).then().statusCode(200);
        stale(as(owner).header("If-Match", before).body(Map.of("member_id", heir)).post(path));
        assertEquals("owner", role(id, ownerId));
        assertEquals(0, events(id, "workspace.ownership_transferred"));
        as(owner).header("If-Match", etag(owner, id)).body(Map.of("member_id", heir)).post(path).then()
                .statusCode(200).body("owner.user_id", equalTo(heirId));
        assertEquals("admin", role(id, ownerId));
    }

    @Test
    void aKeyRotationHonoursTheKeysIfMatch() {
        String owner = Tokens.user(Tokens.unique("pre"));
        String id = (String) Api.activeWorkspace(owner).get("id");
        as(Tokens.service("billing-service", "atrium:admin")).body(Map.of("plan", "team"))
                .patch("/v1/workspaces/" + id).then().statusCode(200);
        Response key = as(owner).body(Map.of("name", "k", "scopes", List.of("workspace:read")))
                .post("/v1/workspaces/" + id + "/api-keys");
        key.then().statusCode(201);
        String keyPath = "/v1/workspaces/" + id + "/api-keys/" + key.path("id");
        String read = as(owner).get(keyPath).then().statusCode(200).extract().header("ETag");
        as(owner).body(Map.of("name", "renamed", "scopes", List.of("workspace:read"))).put(keyPath).then()
                .statusCode(200);
        stale(as(owner).header("If-Match", read).body(Map.of("grace_seconds", 0)).post(keyPath + "/rotate"));
        // The old secret still works: nothing rotated.
        as((String) key.path("secret")).get("/v1/workspaces/" + id).then().statusCode(200);
        assertEquals(0, events(id, "api_key.rotated"));
        String current = as(owner).get(keyPath).then().extract().header("ETag");
        as(owner).header("If-Match", current).body(Map.of("grace_seconds", 0)).post(keyPath + "/rotate").then()
                .statusCode(200);
        assertEquals(1, events(id, "api_key.rotated"));
    }

    @Test
    void organizationMemberChangesHonourTheMembershipsIfMatch() {
        String owner = Tokens.user(Tokens.unique("pre"));
        String org = (String) Api.organization(owner, "Pre org").get("id");
        String userId = Tokens.unique("member");
        String path = "/v1/organizations/" + org + "/members/" + userId;
        // A membership that does not exist matches no If-Match: a create with one is refused.
        stale(as(owner).header("If-Match", "*").body(Map.of("role", "member")).put(path));
        assertEquals(0, db.count("select count(*) from organization_members where user_id = $1", userId));
        String added = as(owner).body(Map.of("role", "member")).put(path).then().statusCode(200).extract()
                .header("ETag");
        String promoted = as(owner).header("If-Match", added).body(Map.of("role", "admin")).put(path).then()
                .statusCode(200).body("role", equalTo("admin")).extract().header("ETag");
        stale(as(owner).header("If-Match", added).body(Map.of("role", "member")).put(path));
        stale(as(owner).header("If-Match", added).delete(path));
        assertEquals("admin", db.rows("select role from organization_members where organization_id = $1 and"
                + " user_id = $2", org, userId).get(0).getString(0));
        assertEquals(0, db.count("select count(*) from events where type = 'organization.member_removed' and"
                + " resource_id = $1", userId));
        as(owner).header("If-Match", promoted).delete(path).then().statusCode(204);
        assertEquals(0, db.count("select count(*) from organization_members where user_id = $1", userId));
    }

    @Test
    void anInvitationRevocationHonoursTheInvitationsIfMatch() {
        String owner = Tokens.user(Tokens.unique("pre"));
        String id = (String) Api.activeWorkspace(owner).get("id");
        String invitation = as(owner).body(Map.of("email", Tokens.unique("inv") + "@example.com", "role", "member"))
                .post("/v1/workspaces/" + id + "/members/invite").then().statusCode(201).extract().path("id");
        String read = as(owner).get("/v1/workspaces/" + id + "/invitations/" + invitation).then().statusCode(200)
                .extract().header("ETag");
        stale(as(owner).header("If-Match", STALE).delete("/v1/workspaces/invitations/" + invitation));
        assertEquals("pending", db.rows("select status from invitations where id = $1", invitation).get(0)
                .getString(0));
        as(owner).header("If-Match", read).delete("/v1/workspaces/invitations/" + invitation).then().statusCode(204);
        assertEquals("revoked", db.rows("select status from invitations where id = $1", invitation).get(0)
                .getString(0));
        // Revoked now: the tag read before no longer names it.
        stale(as(owner).header("If-Match", read).delete("/v1/workspaces/invitations/" + invitation));
    }

    private static String etag(String token, String workspaceId) {
        return as(token).get("/v1/workspaces/" + workspaceId).then().statusCode(200).extract().header("ETag");
    }

    private static void stale(Response r) {
        r.then().statusCode(412).contentType("application/problem+json").body("code", equalTo("precondition_failed"));
    }

    private long events(String workspaceId, String type) {
        return db.count("select count(*) from events where workspace_id = $1 and type = $2", workspaceId, type);
    }

    private String role(String workspaceId, String userId) {
        return db.rows("select role from workspace_members where workspace_id = $1 and user_id = $2", workspaceId,
                userId).get(0).getString(0);
    }
}
