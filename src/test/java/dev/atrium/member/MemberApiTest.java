package dev.atrium.member;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Contract;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;

@QuarkusTest
class MemberApiTest {

    static final String TIMESTAMP = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z";
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>; rel=\"next\"");
    private static final String READER = "atrium:workspaces:read";

    @Inject
    Db db;

    /** A workspace with an owner, an admin, a member and a viewer; each name maps to its user id and member id. */
    final class Team {
        final Map<String, Object> ws;
        final Map<String, String> users = new HashMap<>();
        final Map<String, String> ids = new HashMap<>();

        Team() {
            String owner = Tokens.unique("own");
            ws = Api.activeWorkspace(Tokens.user(owner));
            users.put("owner", owner);
            ids.put("owner", memberId(ws.get("id"), owner));
            for (String role : List.of("admin", "member", "viewer")) {
                add(role, role);
            }
        }

        /** Adds a member called {@code name} with {@code role}. */
        String add(String name, String role) {
            String user = Tokens.unique(name);
            db.addMember(ws.get("id"), user, role);
            users.put(name, user);
            ids.put(name, memberId(ws.get("id"), user));
            return ids.get(name);
        }

        String token(String name) {
            return Tokens.user(users.get(name));
        }

        String path() {
            return "/v1/workspaces/" + ws.get("id");
        }

        String members() {
            return path() + "/members";
        }

        String member(String name) {
            return members() + "/" + ids.get(name);
        }

        String role(String name) {
            return db.rows("select role from workspace_members where id = $1", ids.get(name)).get(0).getString(0);
        }

        long events(String type) {
            return db.events(ws.get("id"), type);
        }
    }

    private String memberId(Object workspaceId, String userId) {
        return db.rows("select id from workspace_members where workspace_id = $1 and user_id = $2", workspaceId, userId)
                .get(0).getString(0);
    }

    // ---------------------------------------------------------------- read

    @Test
    void listAndGetMembers() {
        Team t = new Team();
        String owner = t.token("owner");
        Response r = Api.as(owner).get(t.members());
        r.then().statusCode(200)
                .header("Link", nullValue())
                .body("size()", equalTo(4))
                // Newest first: the owner joined when the workspace was made.
                .body("[0].id", equalTo(t.ids.get("viewer")))
                .body("[3].id", equalTo(t.ids.get("owner")))
                .body("[3].object", equalTo("member"))
                .body("[3].id", matchesPattern("mem_[0-9A-Za-z]{30}"))
                .body("[3].user_id", equalTo(t.users.get("owner")))
                .body("[3].email", equalTo(t.users.get("owner") + "@example.com"))
                .body("[3].name", equalTo("User " + t.users.get("owner")))
                .body("[3].role", equalTo("owner"))
                .body("[3].joined_at", matchesPattern(TIMESTAMP))
                .body("[3].invited_by", nullValue())
                .body("[0].role", equalTo("viewer"));
        Api.as(owner).queryParam("role", "admin").get(t.members()).then().statusCode(200)
                .body("size()", equalTo(1)).body("[0].user_id", equalTo(t.users.get("admin")));
        Api.as(owner).filter(Contract.invalidRequest()).queryParam("role", "king").get(t.members()).then().statusCode(400)
                .body("errors.field", hasItem("role"));

        // Every role, and a service with read scope, may read; outsiders may not even learn it exists.
        for (String who : List.of("admin", "member", "viewer")) {
            Api.as(t.token(who)).get(t.members()).then().statusCode(200).body("size()", equalTo(4));
        }
        Api.as(Tokens.service("billing-service", READER)).get(t.members()).then().statusCode(200)
                .body("size()", equalTo(4));
        Api.as(Tokens.user(Tokens.unique("out"))).get(t.members()).then().statusCode(404)
                .body("code", equalTo("not_found"));
        Api.as(Tokens.service("billing-service", "atrium:events:read")).get(t.members()).then().statusCode(404);
        given().get(t.members()).then().statusCode(401).body("code", equalTo("unauthenticated"));

        Response one = Api.as(t.token("viewer")).get(t.member("admin"));
        one.then().statusCode(200).header("ETag", notNullValue())
                .body("object", equalTo("member")).body("id", equalTo(t.ids.get("admin")))
                .body("role", equalTo("admin")).body("user_id", equalTo(t.users.get("admin")));
        Api.as(owner).header("If-None-Match", one.header("ETag")).get(t.member("admin")).then().statusCode(304);
        given().get(t.member("admin")).then().statusCode(401);
        Api.as(Tokens.user(Tokens.unique("out"))).get(t.member("admin")).then().statusCode(404);
        Api.as(owner).get(t.members() + "/mem_nothing").then().statusCode(404).body("code", equalTo("not_found"));

        // Children are looked up under their parent: another workspace's member id is not found here.
        Team other = new Team();
        Api.as(owner).get(t.members() + "/" + other.ids.get("member")).then().statusCode(404);
    }

    @Test
    void listPagesWithCursorAndLink() {
        Team t = new Team();
        t.add("extra", "member");
        String owner = t.token("owner");
        List<String> seen = new ArrayList<>();
        String next = t.members() + "?limit=2";
        int pages = 0;
        while (next != null) {
            Response r = Api.as(owner).get(next);
            r.then().statusCode(200);
            Api.list(r).forEach(m -> seen.add((String) m.get("id")));
            String link = r.header("Link");
            if (link == null) {
                next = null;
            } else {
                Matcher m = NEXT.matcher(link);
                assertTrue(m.find(), link);
                next = m.group(1);
            }
            pages++;
        }
        assertEquals(3, pages);
        assertEquals(5, seen.size());
        assertEquals(5, seen.stream().distinct().count());
        assertEquals(t.ids.get("extra"), seen.get(0));
        assertEquals(t.ids.get("owner"), seen.get(4));
        Api.as(owner).queryParam("cursor", "garbage").get(t.members()).then().statusCode(400)
                .body("code", equalTo("invalid_cursor"));
        Api.as(owner).filter(Contract.invalidRequest()).queryParam("limit", 0).get(t.members()).then().statusCode(400);
    }

    @Test
    void membersMeGivesRoleAndPermissions() {
        Team t = new Team();
        Api.as(t.token("owner")).get(t.members() + "/me").then().statusCode(200)
                .body("object", equalTo("member"))
                .body("id", equalTo(t.ids.get("owner")))
                .body("user_id", equalTo(t.users.get("owner")))
                .body("role", equalTo("owner"))
                .body("permissions", hasItem("ownership:transfer"))
                .body("permissions", hasItem("members:update_roles"))
                .body("permissions", hasItem("workspace:delete"));
        Api.as(t.token("admin")).get(t.members() + "/me").then().statusCode(200)
                .body("role", equalTo("admin"))
                .body("permissions", hasItem("members:invite"))
                .body("permissions", not(hasItem("ownership:transfer")));
        Api.as(t.token("member")).get(t.members() + "/me").then().statusCode(200)
                .body("role", equalTo("member"))
                .body("permissions", equalTo(List.of("workspace:read", "members:read", "environments:read",
                        "provisioning:read", "audit:read", "export:read")));
        Api.as(t.token("viewer")).get(t.members() + "/me").then().statusCode(200)
                .body("role", equalTo("viewer"))
                .body("permissions", equalTo(List.of("workspace:read", "members:read", "environments:read",
                        "provisioning:read")));
        // Not a member: 404, whoever asks; services are never members.
        Api.as(Tokens.user(Tokens.unique("out"))).get(t.members() + "/me").then().statusCode(404)
                .body("code", equalTo("not_found"));
        Api.as(Tokens.platformAdmin(Tokens.unique("root"))).get(t.members() + "/me").then().statusCode(404);
        Api.as(Tokens.service("billing-service", READER)).get(t.members() + "/me").then().statusCode(404);
        given().get(t.members() + "/me").then().statusCode(401);
        Api.as(t.token("owner")).get("/v1/workspaces/ws_nothing/members/me").then().statusCode(404);
        // "me" is not a member id: leaving is DELETE of one's own member id.
        Api.as(t.token("viewer")).delete(t.members() + "/me").then().statusCode(404);
        Api.as(t.token("owner")).body(Map.of("role", "admin")).patch(t.members() + "/me").then().statusCode(404);
        assertEquals("viewer", t.role("viewer"));
    }

    @Test
    void apiKeysReadMembersAndNothingMore() {
        Team t = new Team();
        String owner = t.token("owner");
        Api.as(Tokens.service("billing-service", "atrium:admin")).body(Map.of("plan", "team")).patch(t.path()).then()
                .statusCode(200);
        String reader = createKey(owner, t, "members:read");
        String other = createKey(owner, t, "workspace:read");
        Api.as(reader).get(t.members()).then().statusCode(200).body("size()", equalTo(4));
        Api.as(reader).get(t.member("member")).then().statusCode(200).body("role", equalTo("member"));
        Api.as(other).get(t.members()).then().statusCode(403);
        // Keys are never members, and changing members is session-only.
        Api.as(reader).get(t.members() + "/me").then().statusCode(403).body("code", equalTo("api_key_not_allowed"));
        Api.as(reader).body(Map.of("role", "viewer")).patch(t.member("member")).then().statusCode(403)
                .body("code", equalTo("api_key_not_allowed"));
        Api.as(reader).delete(t.member("member")).then().statusCode(403).body("code", equalTo("api_key_not_allowed"));
        Api.as(reader).body(Map.of("member_id", t.ids.get("member"))).post(t.path() + "/transfer-ownership").then()
                .statusCode(403).body("code", equalTo("api_key_not_allowed"));
        // A key of one workspace finds nothing of another.
        Team elsewhere = new Team();
        Api.as(reader).get(elsewhere.members()).then().statusCode(404);
        Api.as(reader).get(elsewhere.members() + "/me").then().statusCode(404);
        Api.as(reader).body(Map.of("member_id", elsewhere.ids.get("member")))
                .post(elsewhere.path() + "/transfer-ownership").then().statusCode(404);
        assertEquals("member", t.role("member"));
        assertEquals(0, t.events("member.updated") + t.events("member.removed"));
    }

    private static String createKey(String token, Team t, String scope) {
        Response r = Api.as(token).body(Map.of("name", "members " + scope, "scopes", List.of(scope)))
                .post(t.path() + "/api-keys");
        r.then().statusCode(201);
        return r.path("secret");
    }

    // ---------------------------------------------------------------- change roles

    @Test
    void ownerChangesRolesWithOneEventEach() {
        Team t = new Team();
        String owner = t.token("owner");
        Response r = Api.as(owner).header("Request-Id", "promote-1").contentType("application/merge-patch+json")
                .body(Map.of("role", "admin")).patch(t.member("member"));
        r.then().statusCode(200).header("ETag", notNullValue())
                .body("object", equalTo("member")).body("id", equalTo(t.ids.get("member")))
                .body("role", equalTo("admin"));
        assertEquals("admin", t.role("member"));
        Api.as(owner).body(Map.of("role", "viewer")).patch(t.member("admin")).then().statusCode(200)
                .body("role", equalTo("viewer"));
        Api.as(owner).body(Map.of("role", "member")).patch(t.member("viewer")).then().statusCode(200)
                .body("role", equalTo("member"));
        assertEquals(3, t.events("member.updated"));
        var e = db.rows("select before ->> 'role', after ->> 'role', actor ->> 'id', request_id, resource_type,"
                + " resource_id, after ->> 'user_id' from events where workspace_id = $1 and type = 'member.updated'"
                + " and request_id = 'promote-1'", t.ws.get("id")).get(0);
        assertEquals("member", e.getString(0));
        assertEquals("admin", e.getString(1));
        assertEquals(t.users.get("owner"), e.getString(2));
        assertEquals("promote-1", e.getString(3));
        assertEquals("member", e.getString(4));
        assertEquals(t.ids.get("member"), e.getString(5));
        assertEquals(t.users.get("member"), e.getString(6));

        // Unchanged role, or an empty patch: 200 and no event.
        Api.as(owner).body(Map.of("role", "admin")).patch(t.member("member")).then().statusCode(200);
        Api.as(owner).body(Map.of()).patch(t.member("member")).then().statusCode(200).body("role", equalTo("admin"));
        assertEquals(3, t.events("member.updated"));

        // If-Match: the current ETag passes, a stale one is 412.
        String etag = Api.as(owner).get(t.member("member")).header("ETag");
        Api.as(owner).header("If-Match", etag).body(Map.of("role", "member")).patch(t.member("member")).then()
                .statusCode(200);
        Api.as(owner).header("If-Match", etag).body(Map.of("role", "viewer")).patch(t.member("member")).then()
                .statusCode(412).body("code", equalTo("precondition_failed"));
        assertEquals(4, t.events("member.updated"));
    }

    @Test
    void patchValidatesTheBody() {
        Team t = new Team();
        String owner = t.token("owner");
        Map<String, Object> nullRole = new HashMap<>();
        nullRole.put("role", null);
        for (Object body : List.of(Map.of("role", "king"), Map.of("role", 3), nullRole, Map.of("email", "x@y.z"),
                Map.of("role", "viewer", "name", "x"))) {
            Api.as(owner).filter(Contract.invalidRequest()).body(body).patch(t.member("member")).then().statusCode(400)
                    .body("code", equalTo("validation_failed")).body("errors.field", notNullValue());
        }
        Api.as(owner).filter(Contract.invalidRequest()).body("[]").patch(t.member("member")).then().statusCode(400);
        Api.as(owner).filter(Contract.invalidRequest()).body("{").patch(t.member("member")).then().statusCode(400);
        assertEquals("member", t.role("member"));
        assertEquals(0, t.events("member.updated"));
    }

    @Test
    void grantingRules() {
        Team t = new Team();
        String owner = t.token("owner");
        String admin = t.token("admin");
        t.add("admin2", "admin");
        t.add("m2", "member");

        // owner is never granted by PATCH, and the owner's own role moves only by transfer.
        expect(t, owner, "m2", "owner", 409, "invalid_role_transition");
        expect(t, owner, "owner", "admin", 409, "invalid_role_transition");
        expect(t, owner, "owner", "owner", 409, "invalid_role_transition");
        // An admin: nothing above their own role, no admins made or unmade, never the owner.
        expect(t, admin, "m2", "owner", 403, "permission_denied");
        expect(t, admin, "m2", "admin", 403, "permission_denied");
        expect(t, admin, "admin2", "member", 403, "permission_denied");
        expect(t, admin, "admin", "viewer", 403, "permission_denied");
        expect(t, admin, "owner", "member", 409, "invalid_role_transition");
        expect(t, admin, "owner", "admin", 409, "invalid_role_transition");
        // Members and viewers change nobody's role, not even their own.
        for (String who : List.of("member", "viewer")) {
            String token = t.token(who);
            expect(t, token, "m2", "viewer", 403, "permission_denied");
            expect(t, token, who, "viewer", 403, "permission_denied");
            expect(t, token, who, "admin", 403, "permission_denied");
        }
        // Outsiders, services and missing tokens.
        Api.as(Tokens.user(Tokens.unique("out"))).body(Map.of("role", "viewer")).patch(t.member("m2")).then()
                .statusCode(404);
        Api.as(Tokens.service("billing-service", READER)).body(Map.of("role", "viewer")).patch(t.member("m2"))
                .then().statusCode(403).body("code", equalTo("permission_denied"));
        Api.as(Tokens.service("billing-service", "atrium:workspaces:write")).body(Map.of("role", "viewer"))
                .patch(t.member("m2")).then().statusCode(403);
        given().contentType("application/json").body(Map.of("role", "viewer")).patch(t.member("m2")).then()
                .statusCode(401);
        Team other = new Team();
        Api.as(owner).body(Map.of("role", "viewer")).patch(t.members() + "/" + other.ids.get("member")).then()
                .statusCode(404);
        assertEquals("member", other.role("member"));
        // Nothing refused wrote anything.
        assertEquals(0, t.events("member.updated"));
        assertEquals("owner", t.role("owner"));
        assertEquals("admin", t.role("admin2"));
        assertEquals("member", t.role("m2"));

        // What an admin may do: move members and viewers between member and viewer.
        expect(t, admin, "m2", "viewer", 200, null);
        expect(t, admin, "m2", "member", 200, null);
        expect(t, admin, "viewer", "member", 200, null);
        // The owner makes and unmakes admins.
        expect(t, owner, "m2", "admin", 200, null);
        expect(t, owner, "admin2", "viewer", 200, null);
        assertEquals(5, t.events("member.updated"));
        // A platform admin acts under the owner's rules: admins yes, owner never.
        String root = Tokens.platformAdmin(Tokens.unique("root"));
        expect(t, root, "m2", "member", 200, null);
        expect(t, root, "m2", "owner", 409, "invalid_role_transition");
        assertEquals(1, db.count("select count(*) from events where workspace_id = $1 and type = 'member.updated'"
                + " and (actor ->> 'platform_admin')::boolean", t.ws.get("id")));
    }

    private static void expect(Team t, String token, String target, String role, int status, String code) {
        var request = Api.as(token);
        if (role.equals("owner")) {
            request.filter(Contract.invalidRequest()); // owner is given only by transfer: no PATCH may name it
        }
        var response = request.body(Map.of("role", role)).patch(t.member(target)).then().statusCode(status);
        if (code != null) {
            response.body("code", equalTo(code));
        } else {
            response.body("role", equalTo(role));
        }
    }

    // ---------------------------------------------------------------- remove and leave

    @Test
    void removeAndLeave() {
        Team t = new Team();
        String owner = t.token("owner");
        String admin = t.token("admin");
        t.add("admin2", "admin");
        t.add("m2", "member");
        t.add("v2", "viewer");

        // Refusals first: none of them removes anyone or writes an event.
        Api.as(admin).delete(t.member("admin2")).then().statusCode(403).body("code", equalTo("permission_denied"));
        Api.as(admin).delete(t.member("owner")).then().statusCode(409).body("code", equalTo("invalid_role_transition"));
        Api.as(owner).delete(t.member("owner")).then().statusCode(409).body("code", equalTo("invalid_role_transition"))
                .body("detail", containsString("leave"));
        Api.as(t.token("member")).delete(t.member("v2")).then().statusCode(403);
        Api.as(t.token("viewer")).delete(t.member("m2")).then().statusCode(403);
        Api.as(Tokens.service("billing-service", READER)).delete(t.member("m2")).then().statusCode(403);
        Api.as(Tokens.user(Tokens.unique("out"))).delete(t.member("m2")).then().statusCode(404);
        given().delete(t.member("m2")).then().statusCode(401);
        Api.as(owner).delete(t.members() + "/mem_nothing").then().statusCode(404);
        Team other = new Team();
        Api.as(owner).delete(t.members() + "/" + other.ids.get("member")).then().statusCode(404);
        Api.as(owner).header("If-Match", "\"stale\"").delete(t.member("m2")).then().statusCode(412);
        assertEquals(0, t.events("member.removed"));
        assertEquals(7, db.count("select count(*) from workspace_members where workspace_id = $1", t.ws.get("id")));
        assertEquals(4, db.count("select count(*) from workspace_members where workspace_id = $1",
                other.ws.get("id")));

        // An admin removes members and viewers; the owner removes admins.
        Api.as(admin).header("Request-Id", "rm-m2").delete(t.member("m2")).then().statusCode(204);
        Api.as(owner).get(t.member("m2")).then().statusCode(404);
        Api.as(admin).delete(t.member("v2")).then().statusCode(204);
        Api.as(owner).delete(t.member("admin2")).then().statusCode(204);
        Api.as(owner).delete(t.member("admin2")).then().statusCode(404);
        var e = db.rows("select before ->> 'role', after is null, actor ->> 'id', resource_id from events"
                + " where workspace_id = $1 and type = 'member.removed' and request_id = 'rm-m2'", t.ws.get("id"))
                .get(0);
        assertEquals("member", e.getString(0));
        assertTrue(e.getBoolean(1));
        assertEquals(t.users.get("admin"), e.getString(2));
        assertEquals(t.ids.get("m2"), e.getString(3));

        // Anyone but the owner may leave, whatever their role, and is then outside the workspace.
        for (String who : List.of("viewer", "member", "admin")) {
            Api.as(t.token(who)).delete(t.member(who)).then().statusCode(204);
            Api.as(t.token(who)).get(t.path()).then().statusCode(404);
            Api.as(t.token(who)).get(t.members() + "/me").then().statusCode(404);
        }
        assertEquals(6, t.events("member.removed"));
        assertEquals(1, db.count("select count(*) from events where workspace_id = $1 and type = 'member.removed'"
                + " and resource_id = $2 and actor ->> 'id' = $3", t.ws.get("id"), t.ids.get("viewer"),
                t.users.get("viewer")));
        Api.as(owner).get(t.members()).then().statusCode(200).body("size()", equalTo(1))
                .body("[0].role", equalTo("owner"));
    }

    // ---------------------------------------------------------------- frozen and archived

    @Test
    void frozenAndArchivedWorkspaces() {
        Team t = new Team();
        String owner = t.token("owner");
        t.add("m2", "member");
        t.add("m3", "member");
        Api.as(owner).body(Map.of("status", "frozen", "reason", "audit")).patch(t.path() + "/status").then()
                .statusCode(200);
        Api.as(owner).body(Map.of("role", "viewer")).patch(t.member("member")).then().statusCode(423)
                .body("code", equalTo("workspace_frozen"));
        Api.as(t.token("member")).get(t.members()).then().statusCode(200);
        Api.as(t.token("viewer")).get(t.members() + "/me").then().statusCode(200);
        // Removing, leaving and transferring stay allowed.
        Api.as(t.token("admin")).delete(t.member("m2")).then().statusCode(204);
        Api.as(t.token("viewer")).delete(t.member("viewer")).then().statusCode(204);
        Api.as(owner).body(Map.of("member_id", t.ids.get("admin"))).post(t.path() + "/transfer-ownership").then()
                .statusCode(200).body("owner.id", equalTo(t.ids.get("admin")));
        String newOwner = t.token("admin");
        Api.as(newOwner).body(Map.of("status", "active")).patch(t.path() + "/status").then().statusCode(200);
        Api.as(newOwner).post(t.path() + "/archive").then().statusCode(200);
        Api.as(newOwner).body(Map.of("role", "viewer")).patch(t.member("member")).then().statusCode(409)
                .body("code", equalTo("workspace_archived"));
        Api.as(newOwner).delete(t.member("m3")).then().statusCode(204);
        Api.as(t.token("member")).delete(t.member("member")).then().statusCode(204);
        Api.as(newOwner).body(Map.of("member_id", t.ids.get("owner"))).post(t.path() + "/transfer-ownership").then()
                .statusCode(200).body("owner.id", equalTo(t.ids.get("owner")))
                .body("previous_owner.role", equalTo("admin"));
        assertEquals("owner", t.role("owner"));
        assertEquals("archived", db.rows("select status from workspaces where id = $1", t.ws.get("id")).get(0)
                .getString(0));
        assertEquals(4, t.events("member.removed"));
        // Only the transfers changed roles: two each.
        assertEquals(4, t.events("member.updated"));
    }

    // ---------------------------------------------------------------- ownership transfer

    @Test
    void transferOwnership() {
        Team t = new Team();
        String owner = t.token("owner");
        String transfer = t.path() + "/transfer-ownership";

        // Refusals: only the owner, only a member of this workspace, only someone else, only with a body.
        Api.as(t.token("admin")).body(Map.of("member_id", t.ids.get("member"))).post(transfer).then()
                .statusCode(403).body("code", equalTo("permission_denied"));
        Api.as(t.token("viewer")).body(Map.of("member_id", t.ids.get("viewer"))).post(transfer).then()
                .statusCode(403);
        Api.as(Tokens.service("billing-service", "atrium:admin")).body(Map.of("member_id", t.ids.get("member")))
                .post(transfer).then().statusCode(403);
        Api.as(Tokens.user(Tokens.unique("out"))).body(Map.of("member_id", t.ids.get("member"))).post(transfer)
                .then().statusCode(404);
        given().contentType("application/json").body(Map.of("member_id", t.ids.get("member"))).post(transfer)
                .then().statusCode(401);
        Team other = new Team();
        Api.as(owner).body(Map.of("member_id", other.ids.get("member"))).post(transfer).then().statusCode(404)
                .body("code", equalTo("not_found"));
        Api.as(owner).body(Map.of("member_id", "mem_nothing")).post(transfer).then().statusCode(404);
        Api.as(owner).body(Map.of("member_id", t.ids.get("owner"))).post(transfer).then().statusCode(409)
                .body("code", equalTo("invalid_role_transition"));
        Api.as(owner).filter(Contract.invalidRequest()).body(Map.of()).post(transfer).then().statusCode(400).body("errors.field", hasItem("member_id"));
        Api.as(owner).filter(Contract.invalidRequest()).body(Map.of("member_id", t.ids.get("member"), "x", 1)).post(transfer).then().statusCode(400);
        assertEquals(0, t.events("workspace.ownership_transferred"));
        assertEquals(0, t.events("member.updated"));
        assertEquals("owner", t.role("owner"));
        assertEquals("member", other.role("member"));

        String key = UUID.randomUUID().toString();
        Response r = Api.as(owner).header("Idempotency-Key", key).header("Request-Id", "xfer-1")
                .body(Map.of("member_id", t.ids.get("viewer"))).post(transfer);
        r.then().statusCode(200)
                .body("object", equalTo("ownership_transfer"))
                .body("workspace_id", equalTo(t.ws.get("id")))
                .body("owner.id", equalTo(t.ids.get("viewer")))
                .body("owner.role", equalTo("owner"))
                .body("previous_owner.id", equalTo(t.ids.get("owner")))
                .body("previous_owner.role", equalTo("admin"));
        assertNull(r.header("Idempotent-Replayed"));
        assertEquals("owner", t.role("viewer"));
        assertEquals("admin", t.role("owner"));
        assertEquals(1, db.count("select count(*) from workspace_members where workspace_id = $1 and role = 'owner'",
                t.ws.get("id")));
        // The same request again replays the answer and changes nothing.
        Api.as(owner).header("Idempotency-Key", key).body(Map.of("member_id", t.ids.get("viewer"))).post(transfer)
                .then().statusCode(200).header("Idempotent-Replayed", "true")
                .body("owner.id", equalTo(t.ids.get("viewer")));

        // Events: one per role change and one for the transfer, all with actor and request id.
        assertEquals(2, t.events("member.updated"));
        assertEquals(1, t.events("workspace.ownership_transferred"));
        var e = db.rows("select before -> 'owner' ->> 'id', after -> 'owner' ->> 'id', after -> 'previous_owner' ->> 'role',"
                + " actor ->> 'id', request_id, resource_type, resource_id from events where workspace_id = $1"
                + " and type = 'workspace.ownership_transferred'", t.ws.get("id")).get(0);
        assertEquals(t.ids.get("owner"), e.getString(0));
        assertEquals(t.ids.get("viewer"), e.getString(1));
        assertEquals("admin", e.getString(2));
        assertEquals(t.users.get("owner"), e.getString(3));
        assertEquals("xfer-1", e.getString(4));
        assertEquals("workspace", e.getString(5));
        assertEquals(t.ws.get("id"), e.getString(6));
        assertEquals(1, db.count("select count(*) from events where workspace_id = $1 and type = 'member.updated'"
                + " and resource_id = $2 and before ->> 'role' = 'viewer' and after ->> 'role' = 'owner'"
                + " and request_id = 'xfer-1'", t.ws.get("id"), t.ids.get("viewer")));
        assertEquals(1, db.count("select count(*) from events where workspace_id = $1 and type = 'member.updated'"
                + " and resource_id = $2 and before ->> 'role' = 'owner' and after ->> 'role' = 'admin'",
                t.ws.get("id"), t.ids.get("owner")));

        // The old owner is an admin now; the new one holds every owner power.
        Api.as(owner).body(Map.of("member_id", t.ids.get("member"))).post(transfer).then().statusCode(403);
        Api.as(owner).get(t.members() + "/me").then().statusCode(200).body("role", equalTo("admin"))
                .body("permissions", not(hasItem("ownership:transfer")));
        Api.as(t.token("viewer")).get(t.members() + "/me").then().body("permissions", hasItem("ownership:transfer"));
        Api.as(t.token("viewer")).delete(t.member("viewer")).then().statusCode(409);
        Api.as(t.token("viewer")).body(Map.of("role", "member")).patch(t.member("owner")).then().statusCode(200);
        Api.as(t.token("viewer")).body(Map.of("member_id", t.ids.get("owner"))).post(transfer).then()
                .statusCode(200).body("owner.id", equalTo(t.ids.get("owner")));
        assertEquals("owner", t.role("owner"));
        assertEquals("admin", t.role("viewer"));
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    void concurrentTransfersLeaveExactlyOneOwner() throws Exception {
        Team t = new Team();
        String owner = t.token("owner");
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            targets.add(t.add("t" + i, i % 2 == 0 ? "member" : "viewer"));
        }
        List<Callable<Integer>> calls = new ArrayList<>();
        for (String target : targets) {
            calls.add(() -> Api.as(owner).body(Map.of("member_id", target)).post(t.path() + "/transfer-ownership")
                    .statusCode());
        }
        List<Integer> statuses = runAll(calls);
        assertEquals(1, Collections.frequency(statuses, 200), statuses.toString());
        assertEquals(9, Collections.frequency(statuses, 403), statuses.toString());
        var owners = db.rows("select id from workspace_members where workspace_id = $1 and role = 'owner'",
                t.ws.get("id"));
        assertEquals(1, owners.size());
        assertTrue(targets.contains(owners.get(0).getString(0)));
        assertEquals("admin", t.role("owner"));
        assertEquals(1, t.events("workspace.ownership_transferred"));
        assertEquals(2, t.events("member.updated"));
    }

    /**
     * A transfer racing role changes and removals of its target: whatever wins, the workspace keeps exactly one
     * owner, and the target is never demoted or removed once it owns the workspace.
     */
    @Test
    void transferRacingRoleChangesKeepsOneOwner() throws Exception {
        for (int round = 0; round < 4; round++) {
            Team t = new Team();
            String target = t.add("target", "member");
            String owner = t.token("owner");
            String admin = t.token("admin");
            List<Callable<Integer>> calls = List.of(
                    () -> Api.as(owner).body(Map.of("member_id", target)).post(t.path() + "/transfer-ownership")
                            .statusCode(),
                    () -> Api.as(admin).body(Map.of("role", "viewer")).patch(t.member("target")).statusCode(),
                    () -> Api.as(admin).body(Map.of("role", "member")).patch(t.member("target")).statusCode(),
                    () -> Api.as(admin).delete(t.member("target")).statusCode());
            List<Integer> statuses = runAll(calls);
            assertEquals(1, db.count("select count(*) from workspace_members where workspace_id = $1"
                    + " and role = 'owner'", t.ws.get("id")), statuses.toString());
            long transferred = t.events("workspace.ownership_transferred");
            if (statuses.get(0) == 200) {
                assertEquals(1, transferred);
                assertEquals("owner", t.role("target"));
                assertEquals(0, t.events("member.removed"), statuses.toString());
            } else {
                assertEquals(404, statuses.get(0), statuses.toString());
                assertEquals(0, transferred);
                assertEquals("owner", t.role("owner"));
            }
        }
    }

    private static List<Integer> runAll(List<Callable<Integer>> calls) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        try {
            List<Future<Integer>> futures = pool.invokeAll(calls);
            List<Integer> out = new ArrayList<>();
            for (Future<Integer> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
