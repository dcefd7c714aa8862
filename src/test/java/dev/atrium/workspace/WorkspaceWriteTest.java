package dev.atrium.workspace;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Contract;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;

@QuarkusTest
class WorkspaceWriteTest {

    @Inject
    Db db;

    private static String path(Map<String, Object> ws) {
        return "/v1/workspaces/" + ws.get("id");
    }

    @Test
    void mergePatchFollowsRfc7396() {
        String token = Tokens.user(Tokens.unique("pat"));
        Map<String, Object> ws = Api.activeWorkspace(token, Map.of("name", "Before", "description", "d",
                "metadata", Map.of("a", "1", "b", "2")));
        Map<String, Object> patch = new HashMap<>();
        patch.put("name", "After");
        patch.put("description", null);
        patch.put("metadata", new HashMap<>(Map.of("c", "3")));
        ((Map<String, Object>) patch.get("metadata")).put("a", null);
        patch.put("settings", Map.of("cicd_enforced_default", true));
        Api.as(token).contentType("application/merge-patch+json").body(patch).patch(path(ws)).then().statusCode(200)
                .header("ETag", notNullValue())
                .body("name", equalTo("After"))
                .body("description", nullValue())
                .body("metadata", equalTo(Map.of("b", "2", "c", "3")))
                .body("settings.cicd_enforced_default", equalTo(true))
                .body("slug", equalTo("before"))
                .body("version", equalTo(2))
                .body("updated_at", matchesPattern(WorkspaceCreateTest.TIMESTAMP));
        assertEquals(1, db.events(ws.get("id"), "workspace.updated"));
        // A patch that changes nothing writes nothing.
        Api.as(token).body(Map.of("name", "After")).patch(path(ws)).then().statusCode(200).body("version", equalTo(2));
        assertEquals(1, db.events(ws.get("id"), "workspace.updated"));
        var event = db.rows("select before ->> 'name', after ->> 'name', actor ->> 'id', request_id from events"
                + " where workspace_id = $1 and type = 'workspace.updated'", ws.get("id")).get(0);
        assertEquals("Before", event.getString(0));
        assertEquals("After", event.getString(1));
    }

    @Test
    void patchRefusesBadInputAndChangesNothing() {
        String token = Tokens.user(Tokens.unique("bad"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        Map<String, Object> nullName = new HashMap<>();
        nullName.put("name", null);
        Object[][] cases = {
                { nullName, "name" },
                { Map.of("slug", "new-slug"), "slug" },
                { Map.of("id", "ws_x"), "id" },
                { Map.of("name", "x".repeat(51)), "name" },
                { Map.of("billing_mode", "barter"), "billing_mode" },
                { Map.of("pooled_seat_limit", 10), "pooled_seat_limit" },
                { Map.of("settings", Map.of("unknown", true)), "settings.unknown" },
                { Map.of("settings", Map.of("cicd_enforced_default", "yes")), "settings.cicd_enforced_default" },
                { Map.of("metadata", Map.of("k", 5)), "metadata.k" },
        };
        for (Object[] c : cases) {
            Api.as(token).filter(Contract.invalidRequest()).body(c[0]).patch(path(ws)).then().statusCode(400)
                    .body("code", equalTo("validation_failed"))
                    .body("errors.field", hasItem((String) c[1]));
        }
        Api.as(token).filter(Contract.invalidRequest()).body("[]").patch(path(ws)).then().statusCode(400);
        assertEquals(0, db.events(ws.get("id"), "workspace.updated"));
        assertEquals(0L, db.rows("select version from workspaces where id = $1", ws.get("id")).get(0).getLong(0) - 1);
    }

    @Test
    void billingModeAndSeatLimit() {
        String token = Tokens.user(Tokens.unique("bill"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        Api.as(token).body(Map.of("billing_mode", "pooled")).patch(path(ws)).then().statusCode(200)
                .body("pooled_seat_limit", equalTo(5));
        Api.as(token).body(Map.of("pooled_seat_limit", 3)).patch(path(ws)).then().statusCode(200)
                .body("pooled_seat_limit", equalTo(3));
        db.addMember(ws.get("id"), Tokens.unique("m1"), "member");
        db.addMember(ws.get("id"), Tokens.unique("m2"), "member");
        Api.as(token).body(Map.of("pooled_seat_limit", 2)).patch(path(ws)).then().statusCode(409)
                .body("code", equalTo("seat_limit_below_usage"));
        Api.as(token).body(Map.of("billing_mode", "single")).patch(path(ws)).then().statusCode(200)
                .body("pooled_seat_limit", nullValue());
    }

    @Test
    void planIsForAdminsOnly() {
        String token = Tokens.user(Tokens.unique("plan"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        Api.as(token).body(Map.of("plan", "enterprise")).patch(path(ws)).then().statusCode(403)
                .body("code", equalTo("permission_denied"));
        Api.as(Tokens.service("billing-service", "atrium:workspaces:write")).body(Map.of("plan", "team"))
                .patch(path(ws)).then().statusCode(403);
        Api.as(Tokens.service("billing-service", "atrium:admin")).body(Map.of("plan", "team")).patch(path(ws)).then()
                .statusCode(200).body("plan", equalTo("team")).body("updated_by.subject_type", equalTo("SERVICE"));
        Api.as(Tokens.platformAdmin(Tokens.unique("root"))).body(Map.of("plan", "enterprise")).patch(path(ws)).then()
                .statusCode(200).body("plan", equalTo("enterprise")).body("updated_by.platform_admin", equalTo(true));
        assertEquals(1, db.count("select count(*) from events where workspace_id = $1 and type = 'workspace.updated'"
                + " and (actor ->> 'platform_admin')::boolean", ws.get("id")));
    }

    @Test
    void ifMatchGuardsAgainstLostUpdates() {
        String token = Tokens.user(Tokens.unique("ifm"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        String etag = Api.as(token).get(path(ws)).header("ETag");
        Response first = Api.as(token).header("If-Match", etag).body(Map.of("name", "One")).patch(path(ws));
        first.then().statusCode(200);
        Api.as(token).header("If-Match", etag).body(Map.of("name", "Two")).patch(path(ws)).then().statusCode(412)
                .body("code", equalTo("precondition_failed"));
        Api.as(token).header("If-Match", first.header("ETag")).body(Map.of("name", "Two")).patch(path(ws)).then()
                .statusCode(200).body("name", equalTo("Two"));
    }

    @Test
    void rolesDecideWhoMayWrite() {
        String token = Tokens.user(Tokens.unique("boss"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        String admin = Tokens.unique("adm");
        String member = Tokens.unique("mem");
        String viewer = Tokens.unique("view");
        db.addMember(ws.get("id"), admin, "admin");
        db.addMember(ws.get("id"), member, "member");
        db.addMember(ws.get("id"), viewer, "viewer");
        Api.as(Tokens.user(admin)).body(Map.of("name", "By admin")).patch(path(ws)).then().statusCode(200);
        Api.as(Tokens.user(member)).body(Map.of("name", "By member")).patch(path(ws)).then().statusCode(403);
        Api.as(Tokens.user(viewer)).body(Map.of("name", "By viewer")).patch(path(ws)).then().statusCode(403);
        Api.as(Tokens.user(Tokens.unique("out"))).body(Map.of("name", "x")).patch(path(ws)).then().statusCode(404);
        Api.as(Tokens.user(member)).post(path(ws) + "/archive").then().statusCode(403);
        Api.as(Tokens.user(member)).body(Map.of("status", "frozen", "reason", "r")).patch(path(ws) + "/status")
                .then().statusCode(403);
        Api.as(Tokens.service("billing-service", "atrium:workspaces:write")).body(Map.of("name", "By service"))
                .patch(path(ws)).then().statusCode(200);
        Api.as(Tokens.service("billing-service", "atrium:workspaces:read")).body(Map.of("name", "x"))
                .patch(path(ws)).then().statusCode(403);
    }

    @Test
    void archiveAndUnarchive() {
        String token = Tokens.user(Tokens.unique("arc"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        Api.as(token).post(path(ws) + "/archive").then().statusCode(200)
                .body("status", equalTo("archived")).body("archived", equalTo(true))
                .body("archived_at", matchesPattern(WorkspaceCreateTest.TIMESTAMP));
        Api.as(token).body(Map.of("name", "x")).patch(path(ws)).then().statusCode(409)
                .body("code", equalTo("workspace_archived"));
        Api.as(token).post(path(ws) + "/archive").then().statusCode(409)
                .body("code", equalTo("invalid_state_transition")).body("current_status", equalTo("archived"));
        Api.as(token).get(path(ws)).then().statusCode(200);
        Api.as(token).post(path(ws) + "/unarchive").then().statusCode(200)
                .body("status", equalTo("active")).body("archived_at", nullValue());
        Api.as(token).post(path(ws) + "/unarchive").then().statusCode(409)
                .body("code", equalTo("invalid_state_transition"));
        assertEquals(1, db.events(ws.get("id"), "workspace.archived"));
        assertEquals(1, db.events(ws.get("id"), "workspace.unarchived"));
    }

    @Test
    void freezeAndUnfreeze() {
        String token = Tokens.user(Tokens.unique("frz"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        // A freeze needs no reason (seed 002 sends none); one given is kept, and a blank one is refused.
        Api.as(token).body(Map.of("status", "frozen")).patch(path(ws) + "/status").then().statusCode(200)
                .body("status", equalTo("frozen")).body("frozen_reason", nullValue());
        Api.as(token).body(Map.of("status", "active")).patch(path(ws) + "/status").then().statusCode(200);
        Api.as(token).filter(Contract.invalidRequest()).body(Map.of("status", "frozen", "reason", " "))
                .patch(path(ws) + "/status").then().statusCode(400).body("errors.field", hasItem("reason"));
        Api.as(token).filter(Contract.invalidRequest()).body(Map.of("status", "melted")).patch(path(ws) + "/status")
                .then().statusCode(400).body("errors.field", hasItem("status"));
        Api.as(token).body(Map.of("status", "frozen", "reason", "audit")).patch(path(ws) + "/status").then()
                .statusCode(200).body("status", equalTo("frozen")).body("frozen_reason", equalTo("audit"))
                .body("frozen_by", equalTo("USER"));
        Api.as(token).body(Map.of("name", "x")).patch(path(ws)).then().statusCode(423)
                .body("code", equalTo("workspace_frozen"));
        Api.as(token).post(path(ws) + "/archive").then().statusCode(423);
        Api.as(token).body(Map.of("status", "active")).patch(path(ws) + "/status").then().statusCode(200)
                .body("status", equalTo("active")).body("frozen_reason", nullValue());

        // A freeze set by a service is lifted only by a service or a platform admin.
        String admin = Tokens.service("provisioner", "atrium:admin");
        Api.as(admin).body(Map.of("status", "frozen", "reason", "unpaid")).patch(path(ws) + "/status").then()
                .statusCode(200).body("frozen_by", equalTo("SERVICE"));
        Api.as(token).body(Map.of("status", "active")).patch(path(ws) + "/status").then().statusCode(403);
        Api.as(Tokens.service("provisioner", "atrium:workspaces:write")).body(Map.of("status", "active"))
                .patch(path(ws) + "/status").then().statusCode(403);
        Api.as(Tokens.platformAdmin(Tokens.unique("root"))).body(Map.of("status", "active"))
                .patch(path(ws) + "/status").then().statusCode(200);
        assertEquals(3, db.events(ws.get("id"), "workspace.frozen"));
        assertEquals(3, db.events(ws.get("id"), "workspace.unfrozen"));
    }
}
