package dev.atrium.audit;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Contract;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;

@QuarkusTest
class AuditTest {

    private static final Pattern NEXT = Pattern.compile("<([^>]+)>; rel=\"next\"");

    @Inject
    Db db;

    /** Creates a workspace and changes it: created, member.added, provisioned, 3 updates, archived, unarchived. */
    private Map<String, Object> busyWorkspace(String token) {
        Map<String, Object> ws = Api.activeWorkspace(token);
        String path = "/v1/workspaces/" + ws.get("id");
        for (int i = 0; i < 3; i++) {
            Api.as(token).header("Request-Id", "change-" + i).body(Map.of("name", "Rename " + i)).patch(path).then()
                    .statusCode(200);
        }
        Api.as(token).post(path + "/archive").then().statusCode(200);
        Api.as(token).post(path + "/unarchive").then().statusCode(200);
        return ws;
    }

    @Test
    void oneEventPerChangeNewestFirst() {
        String sub = Tokens.unique("aud");
        String token = Tokens.user(sub);
        Map<String, Object> ws = busyWorkspace(token);
        String path = "/v1/workspaces/" + ws.get("id") + "/audit";
        Response r = Api.as(token).get(path);
        r.then().statusCode(200)
                .body("size()", equalTo(8))
                .body("[0].object", equalTo("event"))
                .body("[0].type", equalTo("workspace.unarchived"))
                .body("[0].id", matchesPattern("evt_[0-9A-Za-z]{30}"))
                .body("[0].actor.id", equalTo(sub))
                .body("[0].actor.subject_type", equalTo("USER"))
                .body("[0].workspace_id", equalTo(ws.get("id")))
                .body("[0].organization_id", equalTo(ws.get("organization_id")))
                .body("[0].resource.type", equalTo("workspace"))
                .body("[0].resource.id", equalTo(ws.get("id")))
                .body("[0].before.status", equalTo("archived"))
                .body("[0].after.status", equalTo("active"))
                .body("[2].request_id", equalTo("change-2"))
                .body("[2].before.name", equalTo("Rename 1"))
                .body("[2].after.name", equalTo("Rename 2"));
        List<String> types = Api.list(r).stream().map(e -> (String) e.get("type")).toList();
        assertEquals(List.of("workspace.unarchived", "workspace.archived", "workspace.updated", "workspace.updated",
                "workspace.updated", "workspace.provisioned"), types.subList(0, 6));
        // created and member.added share one transaction; both come before provisioning.
        assertEquals(new HashSet<>(List.of("member.added", "workspace.created")), new HashSet<>(types.subList(6, 8)));
        assertEquals(8, db.count("select count(*) from events where workspace_id = $1", ws.get("id")));
    }

    /** An event's before and after are the representations the API answered, field for field and to the microsecond. */
    @Test
    void anEventHoldsTheRepresentationsTheApiAnswered() {
        String token = Tokens.user(Tokens.unique("aud-same"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        String path = "/v1/workspaces/" + ws.get("id");
        Map<String, Object> before = Api.as(token).get(path).then().statusCode(200).extract().jsonPath().getMap("");
        Map<String, Object> after = Api.as(token)
                .body(Map.of("name", "Same \u00e9 \"quoted\"", "metadata", Map.of("k", "v\nw")))
                .patch(path).then().statusCode(200).extract().jsonPath().getMap("");
        Map<String, Object> event = Api.list(Api.as(token).get(path + "/audit")).get(0);
        assertEquals("workspace.updated", event.get("type"));
        assertEquals(before, event.get("before"));
        assertEquals(after, event.get("after"));
    }

    /**
     * A unit of work writes its events together at its end (a create: the workspace's and its owner's), in its own
     * transaction and in the order they happened, each as it was when it happened: the workspace's is the answer's,
     * still provisioning, though the create's transaction went on to change it. A create that fails writes none.
     */
    @Test
    void aCreatesEventsCommitWithItEachAsItWasWhenItHappened() throws InterruptedException {
        String sub = Tokens.unique("aud-unit");
        String token = Tokens.user(sub);
        String slug = "unit-" + System.nanoTime();
        Map<String, Object> created = Api.as(token).body(Map.of("name", "Unit", "slug", slug)).post("/v1/workspaces")
                .then().statusCode(202).extract().jsonPath().getMap("");
        assertEquals("provisioning", created.get("status"));
        var rows = db.rows("select type, txid::text as txid, after::text as after from events"
                + " where workspace_id = $1 and type in ('workspace.created', 'member.added') order by id",
                created.get("id"));
        assertEquals(List.of("workspace.created", "member.added"), rows.stream().map(r -> r.getString("type")).toList());
        assertEquals(1, rows.stream().map(r -> r.getString("txid")).distinct().count(), "one transaction wrote both");
        assertEquals(created, JsonPath.from(rows.get(0).getString("after")).getMap(""));
        db.awaitWorkspaceStatus(created.get("id"), "active");

        long events = db.count("select count(*) from events where actor_id = $1", sub);
        Api.as(token).body(Map.of("name", "Unit again", "slug", slug))
                .post("/v1/workspaces").then().statusCode(409).body("field", equalTo("slug"));
        assertEquals(events, db.count("select count(*) from events where actor_id = $1", sub));
    }

    @Test
    void refusedChangesWriteNoEvent() {
        String token = Tokens.user(Tokens.unique("ref"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        String path = "/v1/workspaces/" + ws.get("id");
        long before = db.count("select count(*) from events where workspace_id = $1", ws.get("id"));
        Api.as(token).body(Map.of("name", "")).patch(path).then().statusCode(400);
        Api.as(token).header("If-Match", "\"stale\"").body(Map.of("name", "x")).patch(path).then().statusCode(412);
        Api.as(token).post(path + "/unarchive").then().statusCode(409);
        Api.as(token).body(Map.of("plan", "team")).patch(path).then().statusCode(403);
        Api.as(Tokens.user(Tokens.unique("out"))).body(Map.of("name", "x")).patch(path).then().statusCode(404);
        Api.as(token).filter(Contract.invalidRequest()).body(Map.of("status", "frozen", "reason", " "))
                .patch(path + "/status").then().statusCode(400);
        assertEquals(before, db.count("select count(*) from events where workspace_id = $1", ws.get("id")));
    }

    @Test
    void filtersAndPagination() {
        String sub = Tokens.unique("fil");
        String token = Tokens.user(sub);
        Map<String, Object> ws = busyWorkspace(token);
        String path = "/v1/workspaces/" + ws.get("id") + "/audit";
        assertEquals(3, Api.list(Api.as(token).get(path + "?type=workspace.updated")).size());
        assertEquals(7, Api.list(Api.as(token).get(path + "?type=workspace.*")).size());
        assertEquals(1, Api.list(Api.as(token).get(path + "?type=member.*")).size());
        assertEquals(7, Api.list(Api.as(token).get(path + "?actor_id=" + sub)).size());
        assertEquals(1, Api.list(Api.as(token).get(path + "?actor_id=system")).size());
        assertEquals(0, Api.list(Api.as(token).get(path + "?since=2999-01-01T00:00:00Z")).size());
        assertEquals(8, Api.list(Api.as(token).get(path + "?since=2000-01-01T00:00:00Z")).size());
        Api.as(token).get(path + "?since=yesterday").then().statusCode(400);
        Api.as(token).get(path + "?limit=0").then().statusCode(400);

        List<String> seen = new ArrayList<>();
        String url = path + "?limit=3";
        int pages = 0;
        while (url != null) {
            Response r = Api.as(token).get(url);
            r.then().statusCode(200);
            Api.list(r).forEach(e -> seen.add((String) e.get("id")));
            String link = r.header("Link");
            url = null;
            if (link != null) {
                Matcher m = NEXT.matcher(link);
                assertTrue(m.find());
                url = m.group(1);
            }
            pages++;
        }
        assertEquals(3, pages);
        assertEquals(8, seen.size());
        assertEquals(8, new HashSet<>(seen).size());
        Api.as(token).get(path + "?limit=8").then().statusCode(200).header("Link", nullValue());
    }

    @Test
    void whoMayReadTheAuditLog() {
        String token = Tokens.user(Tokens.unique("own"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        String path = "/v1/workspaces/" + ws.get("id") + "/audit";
        String member = Tokens.unique("mem");
        String viewer = Tokens.unique("vie");
        db.addMember(ws.get("id"), member, "member");
        db.addMember(ws.get("id"), viewer, "viewer");
        Api.as(Tokens.user(member)).get(path).then().statusCode(200);
        Api.as(Tokens.user(viewer)).get(path).then().statusCode(403).body("code", equalTo("permission_denied"));
        Api.as(Tokens.user(Tokens.unique("x"))).get(path).then().statusCode(404);
        Api.as(Tokens.service("billing-service", "atrium:workspaces:read")).get(path).then().statusCode(200);
        assertFalse(Api.as(token).get(path).asString().contains("\"token\""));
    }
}
