package dev.atrium.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;

/**
 * Writes racing on one resource: with the same {@code If-Match} exactly one wins and every other gets 412, however
 * the race is detected; without {@code If-Match} none fails because another write happened at the same moment.
 */
@QuarkusTest
class ConcurrentWritesTest {

    private static final int WRITERS = 8;

    @Inject
    Db db;

    @Test
    void workspacePatchesWithTheSameIfMatch() throws Exception {
        String owner = Tokens.user(Tokens.unique("race"));
        String id = (String) Api.activeWorkspace(owner).get("id");
        String path = "/v1/workspaces/" + id;
        String etag = Api.as(owner).get(path).header("ETag");
        Map<Integer, Integer> statuses = race(i -> Api.as(owner).header("If-Match", etag)
                .body(Map.of("description", "writer " + i)).patch(path));
        assertEquals(Map.of(200, 1, 412, WRITERS - 1), statuses);
        assertEquals(1, db.events(id, "workspace.updated"));
    }

    @Test
    void workspacePatchesWithoutIfMatchAllSucceedOneAfterAnother() throws Exception {
        String owner = Tokens.user(Tokens.unique("race"));
        String id = (String) Api.activeWorkspace(owner).get("id");
        long version = db.rows("select version from workspaces where id = $1", id).get(0).getLong(0);
        Map<Integer, Integer> statuses = race(i -> Api.as(owner).body(Map.of("description", "writer " + i))
                .patch("/v1/workspaces/" + id));
        assertEquals(Map.of(200, WRITERS), statuses);
        assertEquals(WRITERS, db.events(id, "workspace.updated"));
        assertEquals(version + WRITERS, db.rows("select version from workspaces where id = $1", id).get(0).getLong(0));
    }

    @Test
    void archiveAndPatchRacingWithoutIfMatchNeverConflictOnTheVersion() throws Exception {
        String owner = Tokens.user(Tokens.unique("race"));
        String id = (String) Api.activeWorkspace(owner).get("id");
        Map<Integer, Integer> statuses = race(i -> i == 0 ? Api.as(owner).post("/v1/workspaces/" + id + "/archive")
                : Api.as(owner).body(Map.of("description", "writer " + i)).patch("/v1/workspaces/" + id));
        // Each PATCH either ran before the archive (200) or found the workspace archived (409 workspace_archived);
        // none failed on the version.
        assertEquals(WRITERS, statuses.values().stream().mapToInt(Integer::intValue).sum());
        assertEquals(0, statuses.keySet().stream().filter(s -> s != 200 && s != 409).count(), statuses.toString());
        assertEquals(statuses.getOrDefault(200, 0) - 1, db.events(id, "workspace.updated"));
    }

    @Test
    void organizationPatchesWithTheSameIfMatchAndWithout() throws Exception {
        String owner = Tokens.user(Tokens.unique("race"));
        String id = (String) Api.organization(owner, "Racing org").get("id");
        String path = "/v1/organizations/" + id;
        String etag = Api.as(owner).get(path).header("ETag");
        assertEquals(Map.of(200, 1, 412, WRITERS - 1), race(i -> Api.as(owner).header("If-Match", etag)
                .body(Map.of("name", "Org " + i)).patch(path)));
        assertEquals(Map.of(200, WRITERS), race(i -> Api.as(owner).body(Map.of("name", "Again " + i)).patch(path)));
    }

    @Test
    void apiKeyUpdatesWithTheSameIfMatchAndWithout() throws Exception {
        String owner = Tokens.user(Tokens.unique("race"));
        String ws = (String) Api.activeWorkspace(owner).get("id");
        Api.as(Tokens.service("billing-service", "atrium:admin")).body(Map.of("plan", "team"))
                .patch("/v1/workspaces/" + ws).then().statusCode(200);
        String keyId = Api.as(owner).body(Map.of("name", "racing", "scopes", List.of("workspace:read")))
                .post("/v1/workspaces/" + ws + "/api-keys").then().statusCode(201).extract().path("id");
        String path = "/v1/workspaces/" + ws + "/api-keys/" + keyId;
        String etag = Api.as(owner).get(path).header("ETag");
        assertEquals(Map.of(200, 1, 412, WRITERS - 1), race(i -> Api.as(owner).header("If-Match", etag)
                .body(Map.of("name", "key " + i, "scopes", List.of("workspace:read"))).put(path)));
        assertEquals(Map.of(200, WRITERS), race(i -> Api.as(owner)
                .body(Map.of("name", "again " + i, "scopes", List.of("workspace:read"))).put(path)));
    }

    /** Sends {@link #WRITERS} requests at once; answers how many got each status. */
    private static Map<Integer, Integer> race(IntFunction<Response> request) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                int writer = i;
                Callable<Integer> call = () -> {
                    start.await();
                    return request.apply(writer).statusCode();
                };
                answers.add(pool.submit(call));
            }
            start.countDown();
            Map<Integer, Integer> counts = new TreeMap<>();
            for (Future<Integer> answer : answers) {
                counts.merge(answer.get(), 1, Integer::sum);
            }
            return counts;
        } finally {
            pool.shutdownNow();
        }
    }
}
