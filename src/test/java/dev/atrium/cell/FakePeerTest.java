package dev.atrium.cell;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import dev.atrium.common.id.Ids;
import dev.atrium.support.Api;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;

/**
 * The success paths against a fake eu-west-1 cell served from this test: a create for an organization homed there
 * (its role asked with the caller's token, a reference row kept, the answer cached), 403 and 404 as the home says,
 * and a {@code regions=all} list merging the fake's workspaces. The test profile's peers are unreachable on purpose,
 * so this runs only when eu-west-1 is pointed at the fake:
 * {@code -Datrium.test.fake-peer-port=18931 '-D%test.atrium.cell.peers.eu-west-1=http://localhost:18931'}.
 */
@QuarkusTest
@EnabledIfSystemProperty(named = "atrium.test.fake-peer-port", matches = "\\d+")
class FakePeerTest {

    @Inject
    Db db;
    @Inject
    Vertx vertx;

    @Test
    void successPaths() throws Exception {
        int port = Integer.parseInt(System.getProperty("atrium.test.fake-peer-port"));
        assertEquals("http://localhost:" + port, ConfigProvider.getConfig()
                .getValue("atrium.cell.peers.eu-west-1", String.class), "eu-west-1 must point at the fake");
        String adminSub = Tokens.unique("far-admin");
        String admin = Tokens.user(adminSub);
        String member = Tokens.user(Tokens.unique("far-member"));
        String stranger = Tokens.user(Tokens.unique("far-stranger"));
        String org = Ids.generate("org", Ids.cellCode("eu-west-1"));
        List<String> calls = new CopyOnWriteArrayList<>();
        HttpServer server = vertx.createHttpServer().requestHandler(req -> {
            String auth = req.getHeader("Authorization");
            calls.add(req.method() + " " + req.uri() + " " + (auth == null ? "-" : auth.substring(auth.length() - 6))
                    + " rid=" + req.getHeader("Request-Id"));
            String role = ("Bearer " + admin).equals(auth) ? "admin" : ("Bearer " + member).equals(auth) ? "member" : null;
            if (req.path().equals("/v1/organizations/" + org)) {
                if (role == null) {
                    req.response().setStatusCode(404).end("{\"code\":\"not_found\"}");
                    return;
                }
                req.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("object", "organization")
                        .put("id", org).put("name", "Far Org").put("slug", "far-org").put("personal", false)
                        .put("home_region", "eu-west-1").encode());
            } else if (req.path().equals("/v1/me")) {
                JsonArray orgs = new JsonArray();
                if (role != null) {
                    orgs.add(new JsonObject().put("id", org).put("name", "Far Org").put("role", role).put("personal", false));
                }
                req.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("object", "principal")
                        .put("organizations", orgs).encode());
            } else if (req.path().equals("/v1/workspaces")) {
                JsonArray items = new JsonArray()
                        .add(new JsonObject().put("id", "ws_kEEr_future").put("name", "Far 1").put("region", "eu-west-1")
                                .put("created_at", "2999-01-01T00:00:00.000000Z"))
                        .add(new JsonObject().put("id", "ws_kEEr_past").put("name", "Far 2").put("region", "eu-west-1")
                                .put("created_at", "2000-01-01T00:00:00.000000Z"));
                req.response().putHeader("Content-Type", "application/json").end(items.encode());
            } else {
                req.response().setStatusCode(404).end();
            }
        }).listen(port).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        try {
            Response created = Api.as(admin).header("Request-Id", "rid-far-1")
                    .body(Map.of("name", "Remote ws", "organization_id", org)).post("/v1/workspaces");
            created.then().statusCode(202).body("organization_id", equalTo(org))
                    .body("organization_name", equalTo("Far Org")).body("region", equalTo("us-east-1"));
            assertEquals(1, db.count("select count(*) from organizations where id = $1 and reference and home_region"
                    + " = 'eu-west-1' and slug = 'far-org' and name = 'Far Org' and not personal", org));
            assertEquals(0, db.count("select count(*) from organization_members where organization_id = $1", org));
            assertTrue(calls.get(0).endsWith(admin.substring(admin.length() - 6) + " rid=rid-far-1"),
                    "the caller's token and request id are forwarded: " + calls);
            int before = calls.size();
            Api.as(admin).body(Map.of("name", "Remote ws 2")).post("/v1/organizations/" + org + "/workspaces").then()
                    .statusCode(202);
            assertEquals(before, calls.size(), "the role is reused from the cache");
            assertEquals(2, db.count("select count(*) from workspaces where organization_id = $1", org));
            // Concurrent creates converge on one reference row.
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Integer>> statuses = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    int n = i;
                    statuses.add(pool.submit(() -> Api.as(admin).body(Map.of("organization_id", org, "name",
                            "Parallel " + n)).post("/v1/workspaces").statusCode()));
                }
                for (Future<Integer> s : statuses) {
                    assertEquals(202, s.get(30, TimeUnit.SECONDS));
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1, db.count("select count(*) from organizations where id = $1", org));
            assertEquals(6, db.count("select count(*) from workspaces where organization_id = $1", org));
            Api.as(member).body(Map.of("organization_id", org)).post("/v1/workspaces").then().statusCode(403)
                    .body("code", equalTo("permission_denied"));
            Api.as(stranger).body(Map.of("organization_id", org)).post("/v1/workspaces").then().statusCode(404)
                    .body("code", equalTo("not_found"));
            assertEquals(6, db.count("select count(*) from workspaces where organization_id = $1", org));
            Api.as(admin).get("/v1/workspaces/" + created.jsonPath().getString("id")).then().statusCode(200)
                    .body("organization_name", equalTo("Far Org"));

            calls.clear();
            Response all = Api.as(admin).get("/v1/workspaces?regions=all&limit=3");
            all.then().statusCode(200).header("X-Atrium-Unreachable-Regions", "ap-southeast-2");
            List<String> ids = all.jsonPath().getList("id");
            assertEquals("ws_kEEr_future", ids.get(0));
            assertEquals(3, ids.size());
            assertTrue(calls.get(0).contains("limit=3") && !calls.get(0).contains("regions"), calls.toString());
            assertEquals(List.of("eu-west-1", "us-east-1", "us-east-1"), all.jsonPath().getList("region"));
            assertTrue(all.header("Link") != null);
        } finally {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
