package dev.atrium.workspace;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;

@QuarkusTest
class IdempotencyTest {

    @Inject
    Db db;

    @Test
    void sameKeySameBodyReplaysTheFirstResponse() {
        String sub = Tokens.unique("idem");
        String token = Tokens.user(sub);
        String key = UUID.randomUUID().toString();
        Response first = Api.as(token).header("Idempotency-Key", key).body(Map.of("name", "Once")).post("/v1/workspaces");
        first.then().statusCode(202);
        assertNull(first.header("Idempotent-Replayed"));
        Response again = Api.as(token).header("Idempotency-Key", key).body(Map.of("name", "Once")).post("/v1/workspaces");
        again.then().statusCode(202).header("Idempotent-Replayed", "true")
                .header("Location", first.header("Location"))
                .header("Link", first.header("Link"))
                .body("id", equalTo(first.jsonPath().getString("id")));
        assertEquals(1, db.count("select count(*) from workspace_members where user_id = $1", sub));
        Api.as(token).header("Idempotency-Key", key).body(Map.of("name", "Twice")).post("/v1/workspaces").then()
                .statusCode(422).body("code", equalTo("idempotency_key_reused"));
        // Keys are scoped to the principal: another caller's identical key is unrelated.
        Api.as(Tokens.user(Tokens.unique("other"))).header("Idempotency-Key", key).body(Map.of("name", "Once"))
                .post("/v1/workspaces").then().statusCode(202).header("Idempotent-Replayed", (String) null);
        assertEquals(1, db.count("select count(*) from workspace_members where user_id = $1", sub));
    }

    @Test
    void aFailedRequestDoesNotConsumeItsKey() {
        String token = Tokens.user(Tokens.unique("fail"));
        String key = UUID.randomUUID().toString();
        Api.as(token).header("Idempotency-Key", key).body(Map.of("name", "")).post("/v1/workspaces").then()
                .statusCode(400);
        Api.as(token).header("Idempotency-Key", key).body(Map.of("name", "")).post("/v1/workspaces").then()
                .statusCode(400);
        Api.as(token).header("Idempotency-Key", "x".repeat(256)).body(Map.of()).post("/v1/workspaces").then()
                .statusCode(400).body("errors[0].field", equalTo("Idempotency-Key"));
    }

    @Test
    void concurrentDuplicatesCreateOneWorkspace() throws Exception {
        String sub = Tokens.unique("conc");
        String token = Tokens.user(sub);
        Api.as(token).get("/v1/me").then().statusCode(200); // personal organization exists before the race
        String key = UUID.randomUUID().toString();
        ExecutorService pool = Executors.newFixedThreadPool(10);
        List<Future<Response>> futures = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            futures.add(pool.submit(() -> Api.as(token).header("Idempotency-Key", key).body(Map.of("name", "Race"))
                    .post("/v1/workspaces")));
        }
        List<Response> responses = new ArrayList<>();
        for (Future<Response> f : futures) {
            responses.add(f.get());
        }
        pool.shutdown();
        List<Integer> codes = responses.stream().map(Response::statusCode).toList();
        assertTrue(codes.stream().allMatch(c -> c == 202 || c == 409), codes.toString());
        long fresh = responses.stream().filter(r -> r.statusCode() == 202 && r.header("Idempotent-Replayed") == null)
                .count();
        assertEquals(1, fresh, codes.toString());
        responses.stream().filter(r -> r.statusCode() == 409)
                .forEach(r -> assertEquals("idempotency_key_in_use", r.jsonPath().getString("code")));
        assertEquals(1, db.count("select count(*) from workspace_members where user_id = $1", sub));
    }

    @Test
    void archiveHonoursTheKeyToo() {
        String token = Tokens.user(Tokens.unique("arch"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        String key = UUID.randomUUID().toString();
        Api.as(token).header("Idempotency-Key", key).post("/v1/workspaces/" + ws.get("id") + "/archive").then()
                .statusCode(200).body("status", equalTo("archived"));
        // Without the key a second archive is refused; with it the first answer is replayed.
        Api.as(token).header("Idempotency-Key", key).post("/v1/workspaces/" + ws.get("id") + "/archive").then()
                .statusCode(200).header("Idempotent-Replayed", "true").body("status", equalTo("archived"));
        Api.as(token).post("/v1/workspaces/" + ws.get("id") + "/archive").then().statusCode(409);
        assertEquals(1, db.events(ws.get("id"), "workspace.archived"));
    }

    @Inject
    dev.atrium.idempotency.IdempotencyJanitor janitor;

    @Test
    void expiredKeysAreForgottenAndPurged() throws Throwable {
        String sub = Tokens.unique("old");
        String token = Tokens.user(sub);
        String key = UUID.randomUUID().toString();
        Api.as(token).header("Idempotency-Key", key).body(Map.of("name", "Day one")).post("/v1/workspaces").then()
                .statusCode(202);
        db.rows("update idempotency_keys set expires_at = now() - interval '1 second' where idempotency_key = $1", key);
        // Past 24 h the key names nothing: the same key starts a new request.
        Api.as(token).header("Idempotency-Key", key).body(Map.of("name", "Day two")).post("/v1/workspaces").then()
                .statusCode(202).header("Idempotent-Replayed", (String) null);
        db.rows("update idempotency_keys set expires_at = now() - interval '1 second' where idempotency_key = $1", key);
        int removed = io.quarkus.vertx.VertxContextSupport.subscribeAndAwait(() -> janitor.purgeExpired());
        assertTrue(removed >= 1);
        assertEquals(0, db.count("select count(*) from idempotency_keys where idempotency_key = $1", key));
    }
}
