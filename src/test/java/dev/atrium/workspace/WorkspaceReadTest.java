package dev.atrium.workspace;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;

@QuarkusTest
class WorkspaceReadTest {

    private static final Pattern NEXT = Pattern.compile("<([^>]+)>; rel=\"next\"");

    @Inject
    Db db;

    @Test
    void getHasEtagAndHonoursIfNoneMatch() {
        String token = Tokens.user(Tokens.unique("gina"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        Response r = Api.as(token).get("/v1/workspaces/" + ws.get("id"));
        r.then().statusCode(200).body("id", equalTo(ws.get("id")));
        String etag = r.header("ETag");
        assertNotNull(etag);
        Api.as(token).header("If-None-Match", etag).get("/v1/workspaces/" + ws.get("id")).then().statusCode(304)
                .header("ETag", etag);
        Api.as(token).header("If-None-Match", "\"stale\"").get("/v1/workspaces/" + ws.get("id")).then()
                .statusCode(200);
    }

    @Test
    void outsidersGet404AndViewersRead() {
        String token = Tokens.user(Tokens.unique("owen"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        Api.as(Tokens.user(Tokens.unique("eve"))).get("/v1/workspaces/" + ws.get("id")).then().statusCode(404)
                .body("code", equalTo("not_found"));
        String viewer = Tokens.unique("vic");
        db.addMember(ws.get("id"), viewer, "viewer");
        Api.as(Tokens.user(viewer)).get("/v1/workspaces/" + ws.get("id")).then().statusCode(200);
        Api.as(Tokens.user(viewer)).get("/v1/workspaces/" + ws.get("id") + "/environments").then().statusCode(200);
        Api.as(Tokens.service("billing-service", "atrium:workspaces:read")).get("/v1/workspaces/" + ws.get("id"))
                .then().statusCode(200);
        Api.as(Tokens.service("billing-service", "atrium:events:read")).get("/v1/workspaces/" + ws.get("id"))
                .then().statusCode(404);
        Api.as(Tokens.platformAdmin(Tokens.unique("root"))).get("/v1/workspaces/" + ws.get("id")).then()
                .statusCode(200);
    }

    @Test
    void paginationWalksEveryWorkspaceOnceInOrder() {
        String token = Tokens.user(Tokens.unique("paula"));
        Set<String> created = new HashSet<>();
        for (int i = 0; i < 7; i++) {
            created.add(Api.as(token).body(Map.of("name", "Page " + i)).post("/v1/workspaces").jsonPath()
                    .getString("id"));
        }
        for (String sort : List.of("-created_at", "created_at", "name", "-name")) {
            List<String> seen = new ArrayList<>();
            List<String> names = new ArrayList<>();
            String url = "/v1/workspaces?limit=3&sort=" + sort;
            int pages = 0;
            while (url != null) {
                Response r = Api.as(token).get(url);
                r.then().statusCode(200);
                for (Map<String, Object> w : Api.list(r)) {
                    seen.add((String) w.get("id"));
                    names.add((String) w.get("name"));
                }
                String link = r.header("Link");
                url = null;
                if (link != null) {
                    Matcher m = NEXT.matcher(link);
                    assertTrue(m.find(), link);
                    url = m.group(1);
                }
                pages++;
            }
            assertEquals(7, seen.size(), sort + " " + seen);
            assertEquals(created, new HashSet<>(seen), sort);
            assertTrue(pages >= 3, sort);
            List<String> expected = new ArrayList<>(names);
            if (sort.endsWith("name")) {
                expected.sort(sort.startsWith("-") ? java.util.Comparator.reverseOrder() : java.util.Comparator.naturalOrder());
                assertEquals(expected, names, sort);
            }
        }
        List<String> newestFirst = Api.list(Api.as(token).get("/v1/workspaces")).stream()
                .map(w -> (String) w.get("id")).toList();
        List<String> sorted = new ArrayList<>(newestFirst);
        sorted.sort(java.util.Comparator.reverseOrder());
        assertEquals(sorted, newestFirst, "ids are time-ordered, newest first by default");
        Api.as(token).get("/v1/workspaces?sort=colour").then().statusCode(400);
        Api.as(token).get("/v1/workspaces?colour=blue").then().statusCode(400);
        String otherCursor = Api.as(token).get("/v1/workspaces?limit=1&sort=name").header("Link");
        Matcher m = NEXT.matcher(otherCursor);
        assertTrue(m.find());
        String cursor = m.group(1).replaceAll(".*cursor=", "");
        Api.as(token).get("/v1/workspaces?sort=-created_at&cursor=" + cursor).then().statusCode(400)
                .body("code", equalTo("invalid_cursor"));
    }

    @Test
    void filters() {
        String token = Tokens.user(Tokens.unique("fil"));
        String org = Api.organization(token, "Filter org " + System.nanoTime()).get("id").toString();
        Map<String, Object> a = Api.activeWorkspace(token,
                Map.of("name", "Alpha", "organization_id", org, "metadata", Map.of("team", "core")));
        Map<String, Object> b = Api.activeWorkspace(token, Map.of("name", "Beta", "metadata", Map.of("team", "edge")));
        Api.as(token).post("/v1/workspaces/" + b.get("id") + "/archive").then().statusCode(200);
        assertEquals("object", db.rows("select jsonb_typeof(metadata) from workspaces where id = $1", a.get("id"))
                .get(0).getString(0), "metadata is stored as a JSON object, not an encoded string");
        assertEquals(List.of(a.get("id")), ids(Api.as(token).get("/v1/workspaces?metadata.team=core")));
        assertEquals(List.of(a.get("id")), ids(Api.as(token).get("/v1/workspaces?organization_id=" + org)));
        assertEquals(List.of(a.get("id")), ids(Api.as(token).get("/v1/workspaces?q=alp")));
        assertEquals(List.of(b.get("id")), ids(Api.as(token).get("/v1/workspaces?archived=true")));
        assertEquals(List.of(b.get("id")), ids(Api.as(token).get("/v1/workspaces?status=archived")));
        assertEquals(List.of(a.get("id")), ids(Api.as(token).get("/v1/workspaces?archived=false")));
        assertEquals(2, ids(Api.as(token).get("/v1/workspaces?region=us-east-1")).size());
        assertEquals(0, ids(Api.as(token).get("/v1/workspaces?q=%25")).size(), "wildcards are literal");
        Api.as(token).get("/v1/workspaces?status=sleeping").then().statusCode(400);
        Api.as(token).get("/v1/workspaces?archived=maybe").then().statusCode(400);
    }

    @Test
    void organizationListsAndTheDeprecatedAlias() {
        String token = Tokens.user(Tokens.unique("orla"));
        String org = Api.organization(token, "Org list " + System.nanoTime()).get("id").toString();
        Map<String, Object> ws = Api.activeWorkspace(token, Map.of("organization_id", org));
        assertEquals(List.of(ws.get("id")), ids(Api.as(token).get("/v1/organizations/" + org + "/workspaces")));
        Response alias = Api.as(token).get("/v1/workspaces/by-account/" + org);
        alias.then().statusCode(200).header("Deprecation", "true");
        assertEquals(List.of(ws.get("id")), ids(alias));
        Api.as(Tokens.user(Tokens.unique("x"))).get("/v1/organizations/" + org + "/workspaces").then()
                .statusCode(404);
    }

    @Test
    void listHasNoNextLinkOnTheLastPage() {
        String token = Tokens.user(Tokens.unique("last"));
        Api.activeWorkspace(token);
        Response r = Api.as(token).get("/v1/workspaces?limit=5");
        r.then().statusCode(200).header("Link", nullValue());
        assertNull(r.header("Link"));
    }

    static List<Object> ids(Response r) {
        r.then().statusCode(200);
        return Api.list(r).stream().map(w -> w.get("id")).toList();
    }
}
