package dev.atrium.invitation;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import dev.atrium.common.id.Ids;
import dev.atrium.support.Api;
import dev.atrium.support.Contract;
import dev.atrium.support.Db;
import dev.atrium.support.Parallel;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import jakarta.inject.Inject;

@QuarkusTest
class InvitationApiTest {

    static final String TOKEN = "atrinv_[0-9A-Za-z]{30}";
    static final String TIMESTAMP = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z";

    @Inject
    Db db;

    record User(String sub, String token, String email) {
        static User make(String name) {
            String sub = Tokens.unique(name);
            return new User(sub, Tokens.user(sub), sub + "@example.com");
        }
    }

    private static Response invite(String token, Object workspaceId, String email, String role) {
        return Api.as(token).body(Map.of("email", email, "role", role))
                .post("/v1/workspaces/" + workspaceId + "/members/invite");
    }

    private static String invited(String token, Object workspaceId, String email, String role) {
        Response r = invite(token, workspaceId, email, role);
        assertEquals(201, r.statusCode(), r.asString());
        return r.jsonPath().getString("token");
    }

    private static Response accept(String token, String invitationToken) {
        return Api.as(token).post("/v1/workspaces/invitations/" + invitationToken + "/accept");
    }

    private static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    /** A workspace on plan {@code plan}, optionally pooled with {@code poolLimit} seats. */
    private static Map<String, Object> workspaceOn(String ownerToken, String plan, Integer poolLimit) {
        Map<String, Object> ws = Api.activeWorkspace(ownerToken);
        String admin = Tokens.service("billing-service", "atrium:admin");
        Api.as(admin).body(Map.of("plan", plan)).patch("/v1/workspaces/" + ws.get("id")).then().statusCode(200)
                .body("plan", equalTo(plan));
        if (poolLimit != null) {
            Api.as(ownerToken).body(Map.of("billing_mode", "pooled", "pooled_seat_limit", poolLimit))
                    .patch("/v1/workspaces/" + ws.get("id")).then().statusCode(200)
                    .body("pooled_seat_limit", equalTo(poolLimit));
        }
        return ws;
    }

    @Test
    void inviteListAcceptHappyPath() throws Exception {
        User owner = User.make("own");
        User bob = User.make("bob");
        Map<String, Object> ws = Api.activeWorkspace(owner.token());
        Object wsId = ws.get("id");
        Response created = invite(owner.token(), wsId, bob.email(), "member");
        created.then().statusCode(201)
                .header("Location", matchesPattern("/v1/workspaces/" + wsId + "/invitations/inv_[0-9A-Za-z]{30}"))
                .header("RateLimit-Limit", "20")
                .header("RateLimit-Remaining", "19")
                .header("RateLimit-Reset", "3600")
                .body("object", equalTo("invitation"))
                .body("id", matchesPattern("inv_[0-9A-Za-z]{30}"))
                .body("workspace_id", equalTo(wsId))
                .body("email", equalTo(bob.email()))
                .body("role", equalTo("member"))
                .body("status", equalTo("pending"))
                .body("expires_at", matchesPattern(TIMESTAMP))
                .body("created_at", matchesPattern(TIMESTAMP))
                .body("invited_by.id", equalTo(owner.sub()))
                .body("token", matchesPattern(TOKEN))
                .body("token_sealed", nullValue());
        String token = created.jsonPath().getString("token");
        String id = created.jsonPath().getString("id");
        // Default TTL: 7 days.
        var row = db.rows("select token_hash, extract(epoch from expires_at - created_at)::bigint, status"
                + " from invitations where id = $1", id).get(0);
        assertEquals(sha256(token), row.getString(0));
        assertEquals(604800L, row.getLong(1));
        assertEquals("pending", row.getString(2));

        // Admin views never carry the token.
        Response list = Api.as(owner.token()).get("/v1/workspaces/" + wsId + "/invitations");
        list.then().statusCode(200).body("id", hasItem(id)).body("[0].token", nullValue());
        String etag = Api.as(owner.token()).get("/v1/workspaces/" + wsId + "/invitations/" + id).then()
                .statusCode(200).body("id", equalTo(id)).body("token", nullValue()).header("ETag", notNullValue())
                .extract().header("ETag");
        Api.as(owner.token()).header("If-None-Match", etag).get("/v1/workspaces/" + wsId + "/invitations/" + id)
                .then().statusCode(304);

        // The literal path wins over /v1/workspaces/{workspace_id}/...
        Api.as(bob.token()).get("/v1/workspaces/invitations/pending").then().statusCode(200)
                .body("id", equalTo(List.of(id))).body("[0].token", nullValue());

        // The email matches case-insensitively.
        String shouting = Tokens.sign(Tokens.userClaims(bob.sub()).claim("email", bob.email().toUpperCase()));
        accept(shouting, token).then().statusCode(200)
                .body("object", equalTo("member"))
                .body("id", matchesPattern("mem_[0-9A-Za-z]{30}"))
                .body("user_id", equalTo(bob.sub()))
                .body("role", equalTo("member"))
                .body("joined_at", matchesPattern(TIMESTAMP))
                .body("invited_by.id", equalTo(owner.sub()));
        assertEquals(1, db.count("select count(*) from workspace_members where workspace_id = $1 and user_id = $2"
                + " and role = 'member'", wsId, bob.sub()));
        assertEquals("accepted", db.rows("select status from invitations where id = $1", id).get(0).getString(0));
        Api.as(owner.token()).get("/v1/workspaces/" + wsId + "/invitations/" + id).then().body("status",
                equalTo("accepted"));
        // Once used, the token is gone; the pending list is empty.
        accept(bob.token(), token).then().statusCode(404).body("code", equalTo("not_found"));
        Api.as(bob.token()).get("/v1/workspaces/invitations/pending").then().statusCode(200).body("size()", equalTo(0));
        // Already a member now: a new invitation is refused.
        invite(owner.token(), wsId, bob.email(), "viewer").then().statusCode(409).body("code", equalTo("already_member"));

        assertEquals(1, db.events(wsId, "invitation.created"));
        assertEquals(1, db.events(wsId, "invitation.accepted"));
        assertEquals(2, db.events(wsId, "member.added")); // the owner's, and bob's
        assertEquals(1, db.count("select count(*) from events where workspace_id = $1 and type = 'member.added'"
                + " and actor ->> 'id' = $2 and after ->> 'user_id' = $2", wsId, bob.sub()));
        assertNoTrace(wsId, owner.token(), token);
    }

    /** Neither the token nor its hash appears in events, the audit endpoint or the idempotency records. */
    private void assertNoTrace(Object wsId, String ownerToken, String token) throws Exception {
        String hash = sha256(token);
        for (String needle : new String[] { token, hash }) {
            assertEquals(0, db.count("select count(*) from events where actor::text || coalesce(before::text, '')"
                    + " || coalesce(after::text, '') || coalesce(request_id, '') like '%' || $1 || '%'", needle));
            assertEquals(0, db.count("select count(*) from idempotency_keys where path || response_headers::text"
                    + " || coalesce(response_body, '') like '%' || $1 || '%'", needle));
        }
        String audit = Api.as(ownerToken).get("/v1/workspaces/" + wsId + "/audit").then().statusCode(200).extract()
                .asString();
        assertFalse(audit.contains(token));
        assertFalse(audit.contains(hash));
        assertTrue(audit.contains("invitation.created"));
    }

    @Test
    void inviteRefusals() {
        User owner = User.make("own");
        User admin = User.make("adm");
        User member = User.make("mem");
        User viewer = User.make("vie");
        User outsider = User.make("out");
        Object wsId = workspaceOn(owner.token(), "team", null).get("id");
        db.addMember(wsId, admin.sub(), "admin");
        db.addMember(wsId, member.sub(), "member");
        db.addMember(wsId, viewer.sub(), "viewer");
        String path = "/v1/workspaces/" + wsId + "/members/invite";

        RestAssured.given().contentType("application/json").body(Map.of("email", "x@example.com", "role", "member"))
                .post(path).then().statusCode(401).body("code", equalTo("unauthenticated"));
        invite(member.token(), wsId, "x@example.com", "viewer").then().statusCode(403)
                .body("code", equalTo("permission_denied"));
        invite(viewer.token(), wsId, "x@example.com", "viewer").then().statusCode(403);
        invite(outsider.token(), wsId, "x@example.com", "viewer").then().statusCode(404)
                .body("code", equalTo("not_found"));
        invite(Tokens.service("billing-service", "atrium:workspaces:write"), wsId, "x@example.com", "viewer").then()
                .statusCode(403);
        // Only the owner invites an admin; nobody invites an owner.
        invite(admin.token(), wsId, "x@example.com", "admin").then().statusCode(403)
                .body("code", equalTo("permission_denied"));
        Api.as(owner.token()).filter(Contract.invalidRequest()).body(Map.of("email", "x@example.com", "role", "owner"))
                .post("/v1/workspaces/" + wsId + "/members/invite").then().statusCode(400)
                .body("code", equalTo("validation_failed")).body("errors.field", hasItem("role"));
        Api.as(owner.token()).filter(Contract.invalidRequest()).body(Map.of("email", "not-an-email", "role", "member", "ttl_seconds", 5)).post(path)
                .then().statusCode(400).body("errors.field", equalTo(List.of("email", "ttl_seconds")));
        assertEquals(0, db.count("select count(*) from invitations where workspace_id = $1", wsId));

        invite(owner.token(), wsId, "newadmin@example.com", "admin").then().statusCode(201).body("role", equalTo("admin"));
        invite(admin.token(), wsId, "x@example.com", "member").then().statusCode(201);
        // Members' and invited emails, whatever their case.
        invite(admin.token(), wsId, "X@Example.COM", "viewer").then().statusCode(409)
                .body("code", equalTo("already_member"));
        invite(admin.token(), wsId, member.email().toUpperCase(), "viewer").then().statusCode(409)
                .body("code", equalTo("already_member"));
        Api.as(owner.token()).body(Map.of("email", "ttl@example.com", "role", "viewer", "ttl_seconds", 3600)).post(path)
                .then().statusCode(201);
        assertEquals(3600L, db.count("select extract(epoch from expires_at - created_at)::bigint from invitations"
                + " where workspace_id = $1 and email = 'ttl@example.com'", wsId));

        // Lists and reads: admins only.
        String listPath = "/v1/workspaces/" + wsId + "/invitations";
        Response firstPage = Api.as(admin.token()).get(listPath + "?status=pending&limit=2");
        firstPage.then().statusCode(200).body("size()", equalTo(2))
                .body("status", equalTo(List.of("pending", "pending")))
                .header("Link", matchesPattern("<" + listPath + "\\?.*cursor=.*>; rel=\"next\""));
        String next = firstPage.header("Link").replaceAll("^<(.*)>.*$", "$1");
        Api.as(admin.token()).urlEncodingEnabled(false).get(next).then().statusCode(200).body("size()", equalTo(1))
                .body("email", equalTo(List.of("newadmin@example.com"))).header("Link", nullValue());
        Api.as(admin.token()).get(listPath + "?cursor=bogus").then().statusCode(400)
                .body("code", equalTo("invalid_cursor"));
        Api.as(member.token()).get(listPath).then().statusCode(403);
        Api.as(outsider.token()).get(listPath).then().statusCode(404);
        RestAssured.given().get(listPath).then().statusCode(401);
        Api.as(admin.token()).get(listPath + "?status=bogus").then().statusCode(400);
        // Another workspace's invitation under this workspace is not found.
        Object other = Api.activeWorkspace(outsider.token()).get("id");
        String foreignId = invite(outsider.token(), other, "y@example.com", "member").jsonPath().getString("id");
        Api.as(owner.token()).get(listPath + "/" + foreignId).then().statusCode(404);
        Api.as(owner.token()).delete("/v1/workspaces/invitations/" + foreignId).then().statusCode(404);
        RestAssured.given().get("/v1/workspaces/invitations/pending").then().statusCode(401);
    }

    @Test
    void tokensThatDoNotWorkAreAllTheSame404() {
        User owner = User.make("own");
        User bob = User.make("bob");
        User eve = User.make("eve");
        Object wsId = Api.activeWorkspace(owner.token()).get("id");
        String token = invited(owner.token(), wsId, bob.email(), "member");

        // Unverified email: refused before the token is even looked at.
        String unverified = Tokens.sign(Tokens.userClaims(bob.sub()).claim("email_verified", false));
        accept(unverified, token).then().statusCode(403).body("code", equalTo("permission_denied"));
        Api.as(unverified).get("/v1/workspaces/invitations/pending").then().statusCode(403);
        RestAssured.given().post("/v1/workspaces/invitations/" + token + "/accept").then().statusCode(401);

        Response foreign = accept(eve.token(), token);
        Response unknown = accept(bob.token(), "atrinv_" + token.substring(7, 11) + "0".repeat(26));
        Response garbage = accept(bob.token(), "nonsense");
        for (Response r : List.of(foreign, unknown, garbage)) {
            r.then().statusCode(404).body("code", equalTo("not_found"))
                    .body("detail", equalTo(foreign.jsonPath().getString("detail")));
        }
        // A token names its home cell: another cell's is redirected there, an unknown cell's is not found.
        String elsewhere = "atrinv_" + Ids.cellCode("eu-west-1") + "a".repeat(26);
        Api.as(bob.token()).redirects().follow(false).post("/v1/workspaces/invitations/" + elsewhere + "/accept")
                .then().statusCode(307).body("code", equalTo("wrong_region"))
                .header("Location", equalTo("http://eu-west-1.atrium.test/v1/workspaces/invitations/" + elsewhere
                        + "/accept"));
        Api.as(bob.token()).redirects().follow(false).body(Map.of("token", elsewhere))
                .post("/v1/workspaces/invitations/accept").then().statusCode(307)
                .header("Location", equalTo("http://eu-west-1.atrium.test/v1/workspaces/invitations/accept"));
        accept(bob.token(), "atrinv_zzzz" + "a".repeat(26)).then().statusCode(404);
        // The token in the path never shows in the problem body.
        assertFalse(foreign.asString().contains(token));
        Api.as(eve.token()).post("/v1/workspaces/invitations/" + token + "/decline").then().statusCode(404);

        // Expired.
        db.rows("update invitations set expires_at = now() - interval '1 second' where workspace_id = $1", wsId);
        accept(bob.token(), token).then().statusCode(404).body("code", equalTo("not_found"));
        Api.as(owner.token()).get("/v1/workspaces/" + wsId + "/invitations?status=expired").then().statusCode(200)
                .body("status", equalTo(List.of("expired")));
        // An expired invitation no longer blocks a new one, nor holds a seat.
        String fresh = invited(owner.token(), wsId, bob.email(), "viewer");
        assertEquals(1, db.count("select count(*) from invitations where workspace_id = $1 and status = 'expired'", wsId));
        assertEquals(1, db.events(wsId, "invitation.expired"));

        // Declined.
        Api.as(bob.token()).post("/v1/workspaces/invitations/" + fresh + "/decline").then().statusCode(200)
                .body("status", equalTo("declined")).body("token", nullValue());
        accept(bob.token(), fresh).then().statusCode(404);
        assertEquals(1, db.events(wsId, "invitation.declined"));

        // Revoked.
        Response third = invite(owner.token(), wsId, bob.email(), "member");
        String revokedToken = third.jsonPath().getString("token");
        String id = third.jsonPath().getString("id");
        User member = User.make("mem");
        db.addMember(wsId, member.sub(), "member");
        Api.as(member.token()).delete("/v1/workspaces/invitations/" + id).then().statusCode(403);
        Api.as(eve.token()).delete("/v1/workspaces/invitations/" + id).then().statusCode(404);
        RestAssured.given().delete("/v1/workspaces/invitations/" + id).then().statusCode(401);
        Api.as(owner.token()).delete("/v1/workspaces/invitations/" + id).then().statusCode(204);
        Api.as(owner.token()).delete("/v1/workspaces/invitations/" + id).then().statusCode(204);
        Api.as(owner.token()).delete("/v1/workspaces/invitations/inv_nope").then().statusCode(404);
        assertEquals(1, db.events(wsId, "invitation.revoked"));
        accept(bob.token(), revokedToken).then().statusCode(404).body("code", equalTo("not_found"));
        Api.as(bob.token()).body(Map.of("token", revokedToken)).post("/v1/workspaces/invitations/accept").then()
                .statusCode(404);
        assertEquals(0, db.count("select count(*) from workspace_members where workspace_id = $1 and user_id = $2",
                wsId, bob.sub()));
    }

    @Test
    void resendKillsTheOldTokenAndAcceptByBodyWorks() throws Exception {
        User owner = User.make("own");
        User admin = User.make("adm");
        User member = User.make("mem");
        User bob = User.make("bob");
        Object wsId = Api.activeWorkspace(owner.token()).get("id");
        db.addMember(wsId, admin.sub(), "admin");
        db.addMember(wsId, member.sub(), "member");
        Response first = invite(owner.token(), wsId, bob.email(), "admin");
        String oldToken = first.jsonPath().getString("token");
        String id = first.jsonPath().getString("id");
        String resend = "/v1/workspaces/" + wsId + "/invitations/" + id + "/resend";
        Api.as(member.token()).post(resend).then().statusCode(403);
        // An admin may not resend an admin invitation: the role is checked against the resender.
        Api.as(admin.token()).post(resend).then().statusCode(403).body("code", equalTo("permission_denied"));
        db.rows("update invitations set expires_at = now() + interval '1 minute' where id = $1", id);
        Response again = Api.as(owner.token()).post(resend);
        again.then().statusCode(200).body("id", equalTo(id)).body("status", equalTo("pending"))
                .body("token", matchesPattern(TOKEN));
        String newToken = again.jsonPath().getString("token");
        assertNotEquals(oldToken, newToken);
        assertEquals(604800L, db.count("select extract(epoch from expires_at - updated_at)::bigint from invitations"
                + " where id = $1", id));
        assertEquals(1, db.events(wsId, "invitation.resent"));
        accept(bob.token(), oldToken).then().statusCode(404);
        Api.as(bob.token()).body(Map.of("token", newToken)).post("/v1/workspaces/invitations/accept").then()
                .statusCode(200).body("role", equalTo("admin"));
        Api.as(owner.token()).post(resend).then().statusCode(409);
        assertNoTrace(wsId, owner.token(), newToken);
        assertNoTrace(wsId, owner.token(), oldToken);
    }

    @Test
    void acceptReChecksTheInviterWorkspaceStateAndPlan() {
        User owner = User.make("own");
        User admin = User.make("adm");
        User bob = User.make("bob");
        User carol = User.make("car");
        Map<String, Object> ws = workspaceOn(owner.token(), "team", null);
        Object wsId = ws.get("id");
        String path = "/v1/workspaces/" + wsId;
        db.addMember(wsId, admin.sub(), "admin");
        String byAdmin = invited(admin.token(), wsId, carol.email(), "member");
        String token = invited(owner.token(), wsId, bob.email(), "member");

        Api.as(owner.token()).body(Map.of("status", "frozen", "reason", "audit")).patch(path + "/status").then()
                .statusCode(200);
        accept(bob.token(), token).then().statusCode(423).body("code", equalTo("workspace_frozen"));
        invite(owner.token(), wsId, "z@example.com", "member").then().statusCode(423);
        Api.as(owner.token()).body(Map.of("status", "active")).patch(path + "/status").then().statusCode(200);
        Api.as(owner.token()).post(path + "/archive").then().statusCode(200);
        accept(bob.token(), token).then().statusCode(409).body("code", equalTo("workspace_archived"));
        Api.as(owner.token()).post(path + "/unarchive").then().statusCode(200);

        // The admin who invited carol was demoted: the invitation no longer carries a role they may grant.
        db.rows("update workspace_members set role = 'viewer' where workspace_id = $1 and user_id = $2", wsId,
                admin.sub());
        accept(carol.token(), byAdmin).then().statusCode(403).body("code", equalTo("permission_denied"));

        // 2 members + 2 pending = 4 seats; pending invitations fill it to 7, then the plan drops to free (5).
        for (int i = 0; i < 3; i++) {
            invited(owner.token(), wsId, Tokens.unique("pad") + "@example.com", "viewer");
        }
        Api.as(Tokens.service("billing-service", "atrium:admin")).body(Map.of("plan", "free")).patch(path).then()
                .statusCode(200);
        accept(bob.token(), token).then().statusCode(403).body("code", equalTo("limit_exceeded"));
        assertEquals(0, db.count("select count(*) from workspace_members where workspace_id = $1 and user_id = $2",
                wsId, bob.sub()));
        Api.as(Tokens.service("billing-service", "atrium:admin")).body(Map.of("plan", "team")).patch(path).then()
                .statusCode(200);
        accept(bob.token(), token).then().statusCode(200);
    }

    @Test
    void acceptRespectsThePerUserWorkspaceLimit() {
        User owner = User.make("own");
        User busy = User.make("busy");
        Object wsId = Api.activeWorkspace(owner.token()).get("id");
        String token = invited(owner.token(), wsId, busy.email(), "member");
        // The user already belongs to 100 workspaces (atrium.limits.max-joined-workspaces): copies of this one.
        db.rows("insert into workspaces select (jsonb_populate_record(null::workspaces, to_jsonb(w)"
                + " || jsonb_build_object('id', w.id || '_' || g, 'slug', w.slug || '-' || g))).*"
                + " from workspaces w, generate_series(1, 100) g where w.id = $1", wsId);
        db.rows("insert into workspace_members (id, workspace_id, user_id, role, joined_at)"
                + " select 'mem_' || g || md5(random()::text), $1 || '_' || g, $2, 'viewer', now()"
                + " from generate_series(1, 100) g", wsId, busy.sub());
        accept(busy.token(), token).then().statusCode(403).body("code", equalTo("limit_exceeded"));
        db.rows("delete from workspace_members where workspace_id = $1 || '_1'", wsId);
        accept(busy.token(), token).then().statusCode(200);
    }

    /**
     * Accepts of one user near the joined-workspaces limit, each into a workspace of its own and all at once: the
     * check comes before the membership is written, so it must wait for the joins in flight; exactly the free places
     * are taken, and the user's count is the number of their live memberships.
     */
    @Test
    void parallelAcceptsOfOneUserNeverPassTheJoinLimit() throws Exception {
        User owner = User.make("own");
        User busy = User.make("busy");
        Object first = Api.activeWorkspace(owner.token()).get("id");
        db.rows("insert into workspaces select (jsonb_populate_record(null::workspaces, to_jsonb(w)"
                + " || jsonb_build_object('id', w.id || '_' || g, 'slug', w.slug || '-' || g))).*"
                + " from workspaces w, generate_series(1, 98) g where w.id = $1", first);
        db.rows("insert into workspace_members (id, workspace_id, user_id, role, joined_at)"
                + " select 'mem_' || g || md5(random()::text), $1 || '_' || g, $2, 'viewer', now()"
                + " from generate_series(1, 98) g", first, busy.sub());
        List<Callable<Response>> calls = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Object wsId = i == 0 ? first : Api.activeWorkspace(owner.token()).get("id");
            String token = invited(owner.token(), wsId, busy.email(), "member");
            calls.add(() -> accept(busy.token(), token));
        }
        List<Response> answers = Parallel.all(calls);
        assertEquals(2, answers.stream().filter(r -> r.statusCode() == 200).count(), "accepts answered 200");
        assertEquals(4, answers.stream().filter(r -> r.statusCode() == 403
                && "limit_exceeded".equals(r.jsonPath().getString("code"))).count(), "accepts refused");
        assertEquals(100, db.count("select count(*) from workspace_members where user_id = $1", busy.sub()));
        assertEquals(100, db.count("select live from user_join_counts where user_id = $1", busy.sub()));
    }

    @Test
    void freePlanSeatsAndPooledLimitBelowUsage() {
        User owner = User.make("own");
        Object wsId = Api.activeWorkspace(owner.token()).get("id");
        for (int i = 0; i < 4; i++) {
            invited(owner.token(), wsId, Tokens.unique("s") + "@example.com", "viewer");
        }
        invite(owner.token(), wsId, "sixth@example.com", "viewer").then().statusCode(403)
                .body("code", equalTo("limit_exceeded"));
        // Pending invitations count as seats when the pooled limit is lowered.
        Api.as(owner.token()).body(Map.of("billing_mode", "pooled", "pooled_seat_limit", 4))
                .patch("/v1/workspaces/" + wsId).then().statusCode(409).body("code", equalTo("seat_limit_below_usage"));
        Api.as(owner.token()).body(Map.of("billing_mode", "pooled", "pooled_seat_limit", 5))
                .patch("/v1/workspaces/" + wsId).then().statusCode(200);
    }

    @Test
    void fiftyConcurrentInvitesNeverOvershootTheSeats() throws Exception {
        User owner = User.make("own");
        Object wsId = workspaceOn(owner.token(), "team", 5).get("id");
        List<Callable<Response>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String email = Tokens.unique("c" + i) + "@example.com";
            calls.add(() -> invite(owner.token(), wsId, email, "member"));
        }
        List<Response> answers = Parallel.all(calls);
        long created = answers.stream().filter(r -> r.statusCode() == 201).count();
        long refused = answers.stream()
                .filter(r -> r.statusCode() == 403 && "limit_exceeded".equals(r.jsonPath().getString("code"))).count();
        assertEquals(4, created);
        assertEquals(46, refused);
        assertEquals(4, db.count("select count(*) from invitations where workspace_id = $1", wsId));
        assertEquals(4, db.events(wsId, "invitation.created"));
    }

    @Test
    void theSameTokenAcceptedTwiceInParallelMakesOneMember() throws Exception {
        User owner = User.make("own");
        User bob = User.make("bob");
        Object wsId = Api.activeWorkspace(owner.token()).get("id");
        String token = invited(owner.token(), wsId, bob.email(), "member");
        CountDownLatch start = new CountDownLatch(1);
        List<Callable<Response>> calls = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            boolean byBody = i == 1;
            calls.add(() -> {
                start.await();
                return byBody ? Api.as(bob.token()).body(Map.of("token", token)).post("/v1/workspaces/invitations/accept")
                        : accept(bob.token(), token);
            });
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Response>> futures = new ArrayList<>();
            calls.forEach(c -> futures.add(pool.submit(c)));
            start.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (Future<Response> f : futures) {
                statuses.add(f.get().statusCode());
            }
            statuses.sort(Integer::compare);
            assertEquals(200, statuses.get(0));
            assertTrue(statuses.get(1) == 404 || statuses.get(1) == 409, statuses.toString());
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, db.count("select count(*) from workspace_members where workspace_id = $1 and user_id = $2",
                wsId, bob.sub()));
        assertEquals(1, db.events(wsId, "invitation.accepted"));
    }

    @Test
    void theHourlyInviteBudgetIsCountedInPostgres() {
        User owner = User.make("own");
        Object wsId = workspaceOn(owner.token(), "team", null).get("id");
        for (int i = 0; i < 20; i++) {
            invite(owner.token(), wsId, Tokens.unique("r" + i) + "@example.com", "viewer").then().statusCode(201)
                    .header("RateLimit-Remaining", String.valueOf(19 - i));
        }
        Response limited = invite(owner.token(), wsId, "twenty-first@example.com", "viewer");
        limited.then().statusCode(429).body("code", equalTo("rate_limited"))
                .header("RateLimit-Limit", "20").header("RateLimit-Remaining", "0");
        int retryAfter = Integer.parseInt(limited.header("Retry-After"));
        assertTrue(retryAfter >= 3500 && retryAfter <= 3600, "Retry-After " + retryAfter);
        assertEquals(String.valueOf(retryAfter), limited.header("RateLimit-Reset"));
        // Revoking does not give the budget back; it leaves the window only with time.
        db.rows("update invitations set created_at = created_at - interval '59 minutes 30 seconds'"
                + " where workspace_id = $1 and id = (select min(id) from invitations where workspace_id = $1)", wsId);
        Response stillLimited = invite(owner.token(), wsId, "twenty-first@example.com", "viewer");
        stillLimited.then().statusCode(429);
        assertTrue(Integer.parseInt(stillLimited.header("Retry-After")) <= 30);
        db.rows("update invitations set created_at = created_at - interval '1 minute'"
                + " where workspace_id = $1 and id = (select min(id) from invitations where workspace_id = $1)", wsId);
        invite(owner.token(), wsId, "twenty-first@example.com", "viewer").then().statusCode(201)
                .header("RateLimit-Remaining", "0");
    }

    @Test
    void aReplayedInviteShowsTheTokenButStoresItSealed() throws Exception {
        User owner = User.make("own");
        Object wsId = Api.activeWorkspace(owner.token()).get("id");
        Map<String, Object> body = Map.of("email", "replay@example.com", "role", "member");
        String path = "/v1/workspaces/" + wsId + "/members/invite";
        Response first = Api.as(owner.token()).header("Idempotency-Key", "inv-1").body(body).post(path);
        first.then().statusCode(201).header("Idempotent-Replayed", nullValue());
        String token = first.jsonPath().getString("token");
        Api.as(owner.token()).header("Idempotency-Key", "inv-1").body(body).post(path).then().statusCode(201)
                .header("Idempotent-Replayed", "true")
                .body("token", equalTo(token))
                .body("id", equalTo(first.jsonPath().getString("id")))
                .body("token_sealed", nullValue());
        String stored = db.rows("select response_body from idempotency_keys where idempotency_key = 'inv-1'"
                + " and path = $1", path).get(0).getString(0);
        assertTrue(stored.contains("token_sealed"));
        assertFalse(stored.contains(token));
        assertEquals(1, db.count("select count(*) from invitations where workspace_id = $1", wsId));

        // Accepting by path with a key: the stored path masks the token.
        User invitee = User.make("rep");
        String other = invited(owner.token(), wsId, invitee.email(), "viewer");
        Api.as(invitee.token()).header("Idempotency-Key", "acc-1").post("/v1/workspaces/invitations/" + other
                + "/accept").then().statusCode(200);
        Api.as(invitee.token()).header("Idempotency-Key", "acc-1").post("/v1/workspaces/invitations/" + other
                + "/accept").then().statusCode(200).header("Idempotent-Replayed", "true");
        assertEquals(0, db.count("select count(*) from idempotency_keys where path like '%' || $1 || '%'", other));
        assertEquals(1, db.count("select count(*) from idempotency_keys where idempotency_key = 'acc-1'"
                + " and path = '/v1/workspaces/invitations/[redacted]/accept'"));
        assertTrue(!db.rows("select 1 from events where workspace_id = $1 and type = 'invitation.accepted'", wsId)
                .isEmpty());
        Api.as(owner.token()).get("/v1/workspaces/" + wsId + "/audit").then().statusCode(200)
                .body(not(org.hamcrest.Matchers.containsString(other)));
    }

    @Test
    void nobodyOutsideTheWorkspaceQueuesOnItsLockAndMembersWaitOnlyBriefly() {
        String owner = Tokens.user(Tokens.unique("lockowner"));
        String wsId = (String) Api.activeWorkspace(owner).get("id");
        String stranger = Tokens.user(Tokens.unique("lockstranger"));
        String path = "/v1/workspaces/" + wsId + "/members/invite";
        Map<String, Object> body = Map.of("email", Tokens.unique("lockinvitee") + "@example.com", "role", "member");
        try (Db.Held held = db.holdRowLock("workspaces", wsId)) {
            // Refused before any lock is taken: it cannot wait behind (or hold up) the workspace's writers.
            Api.as(stranger).body(body).post(path).then().statusCode(404).body("code", equalTo("not_found"));
            // Someone who may invite waits for the lock at most the lock timeout, then gets a retryable answer.
            Api.as(owner).body(body).post(path).then().statusCode(503)
                    .contentType("application/problem+json").body("code", equalTo("service_unavailable"))
                    .header("Retry-After", notNullValue());
        }
        Api.as(owner).body(body).post(path).then().statusCode(201);
        assertEquals(1, db.count("select count(*) from invitations where workspace_id = $1", wsId));
    }

    @Test
    void everyDatabaseConnectionStartsWithALockAndAStatementTimeout() {
        assertEquals("2s", db.rows("show lock_timeout").get(0).getString(0));
        assertEquals("15s", db.rows("show statement_timeout").get(0).getString(0));
    }
}
