package dev.atrium.provisioning;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.ChoresRunner;
import dev.atrium.support.Db;
import dev.atrium.support.FakeDataplane;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.inject.Inject;

/**
 * The provisioning saga over HTTP: every step once, retries with backoff, compensation, administrator retries,
 * lease takeover after a crash, and parallel workers that never run a step twice. The dataplane is
 * {@link FakeDataplane}, reached over real HTTP.
 */
@QuarkusTest
class SagaTest {


    @Inject
    Db db;

    @Inject
    ChoresRunner chores;

    private static Response create(String token, String name, boolean wait) {
        var request = Api.as(token).body(Map.of("name", name));
        if (wait) {
            request = request.header("Prefer", "wait=15");
        }
        return request.post("/v1/workspaces");
    }

    private List<String> stepColumn(Object runId, String column) {
        List<String> out = new ArrayList<>();
        for (Row r : db.rows("select " + column + "::text from provisioning_steps where run_id = $1 order by position",
                runId)) {
            out.add(r.getString(0));
        }
        return out;
    }

    private String workspaceStatus(Object id) {
        return db.workspaceStatus(id);
    }

    private void awaitStatus(Object id, String status) throws InterruptedException {
        assertEquals(status, db.awaitWorkspaceStatus(id, status), "workspace " + id);
    }

    @Test
    void everyStepRunsOnceAndTheDataplaneGetsTheStepsKey() {
        String sub = Tokens.unique("saga");
        String name = Tokens.unique("Saga once");
        Map<String, Object> ws = create(Tokens.user(sub), name, true).then().statusCode(201)
                .body("status", equalTo("active")).body("failure_reason", nullValue())
                .extract().jsonPath().getMap("");
        Object id = ws.get("id");
        Object run = ws.get("provisioning_run_id");

        Api.as(Tokens.user(sub)).get("/v1/provisioning-runs/" + run).then().statusCode(200)
                .body("kind", equalTo("create")).body("status", equalTo("succeeded")).body("retries", equalTo(0))
                .body("next_attempt_at", nullValue())
                .body("steps.name", equalTo(List.of("environments", "dataplane", "access", "activate")))
                .body("steps.status", equalTo(List.of("succeeded", "succeeded", "succeeded", "succeeded")))
                .body("steps.attempts", equalTo(List.of(1, 1, 1, 1)))
                .body("steps.last_error", equalTo(java.util.Arrays.asList(null, null, null, null)));

        List<FakeDataplane.Call> calls = FakeDataplane.calls((String) id);
        assertEquals(1, calls.size(), calls.toString());
        assertEquals("PUT", calls.get(0).method());
        assertEquals(run + ":dataplane", calls.get(0).idempotencyKey());
        assertEquals(1, FakeDataplane.provisioned((String) id));

        List<String> tuples = new ArrayList<>();
        for (Row r : db.rows("select resource_type || ':' || resource_id || '#' || relation || '@' || subject_type"
                + " || ':' || subject_id from access_relationships where workspace_id = $1 order by relation", id)) {
            tuples.add(r.getString(0));
        }
        assertEquals(List.of("workspace:" + id + "#organization@organization:" + ws.get("organization_id"),
                "workspace:" + id + "#owner@user:" + sub), tuples);
        assertEquals(3, db.count("select count(*) from environments where workspace_id = $1", id));
        Row r = db.rows("select lease_owner, lease_until from provisioning_runs where id = $1", run).get(0);
        assertEquals(null, r.getValue(0), "the lease is released when the run ends");
        assertEquals(1, db.events(id, "workspace.provisioned"));
    }

    @Test
    void transientDataplaneFailuresAreRetriedWithTheSameKey() {
        String token = Tokens.user(Tokens.unique("retry"));
        String name = Tokens.unique("Flaky");
        FakeDataplane.fail(name, 2, 503);
        Map<String, Object> ws = create(token, name, true).then().statusCode(201).body("status", equalTo("active"))
                .extract().jsonPath().getMap("");
        Object run = ws.get("provisioning_run_id");
        assertEquals(List.of("1", "3", "1", "1"), stepColumn(run, "attempts"));
        List<FakeDataplane.Call> calls = FakeDataplane.calls((String) ws.get("id"));
        assertEquals(List.of(503, 503, 200), calls.stream().map(FakeDataplane.Call::status).toList());
        assertTrue(calls.stream().allMatch(c -> c.idempotencyKey().equals(run + ":dataplane")), calls.toString());
        assertEquals(1, FakeDataplane.provisioned((String) ws.get("id")));
    }

    @Test
    void aCallThatTimesOutAfterDoingTheWorkIsRepeatedWithTheSameKeyAndTakesEffectOnce() {
        String token = Tokens.user(Tokens.unique("slow"));
        String name = Tokens.unique("Slow network");
        FakeDataplane.slow(name, 1, 3_000); // the test profile's dataplane timeout is 2 s
        Map<String, Object> ws = create(token, name, true).then().statusCode(201).body("status", equalTo("active"))
                .extract().jsonPath().getMap("");
        Object run = ws.get("provisioning_run_id");
        assertEquals(List.of("1", "2", "1", "1"), stepColumn(run, "attempts"));
        List<FakeDataplane.Call> calls = FakeDataplane.calls((String) ws.get("id"));
        assertEquals(2, calls.size(), calls.toString());
        assertTrue(calls.stream().allMatch(c -> c.idempotencyKey().equals(run + ":dataplane")), calls.toString());
        assertEquals(1, FakeDataplane.provisioned((String) ws.get("id")), "the repeated call was recognised");
    }

    @Test
    void aPermanentFailureCompensatesAndFailsTheWorkspaceWithItsReason() {
        String token = Tokens.user(Tokens.unique("perm"));
        String name = Tokens.unique("Refused");
        FakeDataplane.fail(name, 1000, 400);
        Map<String, Object> ws = create(token, name, true).then().statusCode(202).body("status", equalTo("failed"))
                .body("failure_reason", equalTo("step 'dataplane' failed: dataplane_rejected: the dataplane refused"
                        + " the request: HTTP 400"))
                .extract().jsonPath().getMap("");
        Object id = ws.get("id");
        Object run = ws.get("provisioning_run_id");
        Api.as(token).get("/v1/provisioning-runs/" + run).then().statusCode(200)
                .body("status", equalTo("failed")).body("error", containsString("step 'dataplane' failed"))
                .body("steps.status", equalTo(List.of("compensated", "failed", "pending", "pending")))
                .body("steps.attempts", equalTo(List.of(1, 1, 0, 0)))
                .body("steps[1].last_error", equalTo("dataplane_rejected: the dataplane refused the request: HTTP 400"));
        // The dataplane's internal address stays in the log: nothing a reader of the workspace sees names it.
        String shown = Api.as(token).get("/v1/provisioning-runs/" + run).asString()
                + Api.as(token).get("/v1/workspaces/" + id).asString();
        assertFalse(shown.contains("http://") || shown.contains("test-dataplane"), shown);
        assertEquals(0, db.count("select count(*) from environments where workspace_id = $1", id),
                "the environments step was compensated");
        assertEquals(0, db.count("select count(*) from access_relationships where workspace_id = $1", id));
        assertEquals(1, db.events(id, "workspace.provisioning_failed"));
        assertEquals(0, db.events(id, "workspace.provisioned"));
        Api.as(token).get("/v1/workspaces/" + id).then().statusCode(200).body("status", equalTo("failed"));
    }

    @Test
    void retriesUpToTheLimitThenCompensatesWhatWasDone() {
        String token = Tokens.user(Tokens.unique("exhaust"));
        String name = Tokens.unique("Down");
        FakeDataplane.fail(name, 1000, 503);
        Map<String, Object> ws = create(token, name, true).then().statusCode(202).body("status", equalTo("failed"))
                .extract().jsonPath().getMap("");
        // max-attempts is 3 in the test profile
        assertEquals(List.of("1", "3", "0", "0"), stepColumn(ws.get("provisioning_run_id"), "attempts"));
        assertEquals(List.of("compensated", "failed", "pending", "pending"),
                stepColumn(ws.get("provisioning_run_id"), "status"));
        assertEquals(3, FakeDataplane.calls((String) ws.get("id")).size());
    }

    @Test
    void anAdministratorRetriesAFailedRun() throws InterruptedException {
        String ownerSub = Tokens.unique("own");
        String owner = Tokens.user(ownerSub);
        String name = Tokens.unique("Second chance");
        FakeDataplane.fail(name, 1000, 400);
        Map<String, Object> ws = create(owner, name, true).then().statusCode(202).extract().jsonPath().getMap("");
        Object id = ws.get("id");
        Object run = ws.get("provisioning_run_id");
        String retry = "/v1/provisioning-runs/" + run + "/retry";
        String memberSub = Tokens.unique("mem");
        db.addMember(id, memberSub, "member");

        RestAssured.given().post(retry).then().statusCode(401);
        Api.as(Tokens.signUntrusted(Tokens.userClaims(ownerSub))).post(retry).then().statusCode(401);
        Api.as(Tokens.user(memberSub)).post(retry).then().statusCode(403).body("code", equalTo("permission_denied"));
        Api.as(Tokens.user(Tokens.unique("stranger"))).post(retry).then().statusCode(404);
        Api.as(Tokens.service("billing-service", "atrium:workspaces:write")).post(retry).then().statusCode(403);
        assertEquals("failed", workspaceStatus(id), "refused retries change nothing");

        FakeDataplane.heal(name);
        Api.as(owner).post(retry).then().statusCode(202)
                .header("Location", equalTo("/v1/provisioning-runs/" + run))
                .body("id", equalTo(run)).body("retries", equalTo(1));
        awaitStatus(id, "active");
        Api.as(owner).get("/v1/provisioning-runs/" + run).then().statusCode(200)
                .body("status", equalTo("succeeded"))
                .body("steps.status", equalTo(List.of("succeeded", "succeeded", "succeeded", "succeeded")))
                .body("steps.attempts", equalTo(List.of(1, 1, 1, 1)));
        Api.as(owner).get("/v1/workspaces/" + id).then().body("failure_reason", nullValue());
        assertEquals(3, db.count("select count(*) from environments where workspace_id = $1", id));
        assertEquals(1, db.events(id, "workspace.provisioned"));

        Api.as(owner).post(retry).then().statusCode(409).body("code", equalTo("invalid_state_transition"))
                .body("current_status", equalTo("succeeded"));
    }

    @Test
    void anExpiredLeaseIsTakenOverAndALiveOneIsLeftAlone() throws InterruptedException {
        String token = Tokens.user(Tokens.unique("lease"));
        String name = Tokens.unique("Crashed");
        FakeDataplane.fail(name, 1000, 503);
        Map<String, Object> ws = create(token, name, false).then().statusCode(202).extract().jsonPath().getMap("");
        Object id = ws.get("id");
        Object run = ws.get("provisioning_run_id");
        for (int i = 0; i < 100 && FakeDataplane.calls((String) id).isEmpty(); i++) {
            Thread.sleep(20);
        }
        FakeDataplane.heal(name);
        // Another instance holds the run and is, as far as anyone knows, still working on the dataplane step.
        db.rows("update provisioning_runs set status = 'running', lease_owner = 'other-instance',"
                + " lease_until = now() + interval '1 minute', next_attempt_at = now() where id = $1", run);
        db.rows("update provisioning_steps set status = 'running' where run_id = $1 and name = 'dataplane'", run);
        Thread.sleep(400); // any retry timer of this instance fires and finds the run leased
        chores.runOnce();
        Row held = db.rows("select status, lease_owner from provisioning_runs where id = $1", run).get(0);
        assertEquals("running", held.getString(0));
        assertEquals("other-instance", held.getString(1));
        assertEquals("provisioning", workspaceStatus(id));

        // The other instance died: its lease runs out and this one takes the run over.
        db.rows("update provisioning_runs set lease_until = now() - interval '1 second' where id = $1", run);
        chores.runOnce();
        awaitStatus(id, "active");
        assertEquals(1, FakeDataplane.provisioned((String) id), "the dataplane work happened once");
        assertEquals(3, db.count("select count(*) from environments where workspace_id = $1", id));
        assertEquals(2, db.count("select count(*) from access_relationships where workspace_id = $1", id));
        assertEquals(1, db.events(id, "workspace.provisioned"));
    }

    @Test
    void parallelWorkersNeverRunAStepTwice() throws Exception {
        String token = Tokens.user(Tokens.unique("par"));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String name = Tokens.unique("Parallel " + i);
            FakeDataplane.fail(name, 1, 503);
            ids.add((String) create(token, name, false).then().statusCode(202).extract().path("id"));
        }
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<Integer>> workers = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                workers.add(pool.submit(() -> {
                    int ok = 0;
                    for (int k = 0; k < 8; k++) {
                        chores.runOnce();
                        ok++;
                        Thread.sleep(30);
                    }
                    return ok;
                }));
            }
            for (Future<Integer> w : workers) {
                assertEquals(8, w.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        for (String id : ids) {
            awaitStatus(id, "active");
            Object run = db.rows("select provisioning_run_id from workspaces where id = $1", id).get(0).getValue(0);
            assertEquals(List.of("1", "2", "1", "1"), stepColumn(run, "attempts"), "attempts of " + id);
            assertEquals(2, FakeDataplane.calls(id).size(), FakeDataplane.calls(id).toString());
            assertEquals(1, FakeDataplane.provisioned(id));
            assertEquals(3, db.count("select count(*) from environments where workspace_id = $1", id));
            assertEquals(1, db.events(id, "workspace.provisioned"));
            assertEquals(1, db.events(id, "workspace.created"));
        }
    }

    @Test
    void concurrentCreatesThatWaitAllComeBackActive() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<Response>> creates = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String token = Tokens.user(Tokens.unique("burst"));
                creates.add(pool.submit(() -> Api.as(token).header("Prefer", "wait=25")
                        .body(Map.of("name", "Burst")).post("/v1/workspaces")));
            }
            for (Future<Response> f : creates) {
                Response r = f.get(60, TimeUnit.SECONDS);
                assertEquals(201, r.statusCode(), r.asString());
                assertEquals("active", r.path("status"));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void runsAndStepsAreMeasured() {
        Api.activeWorkspace(Tokens.user(Tokens.unique("metrics")));
        String metrics = Api.management().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("atrium_provisioning_runs_total{kind=\"create\",outcome=\"started\"}"), metrics);
        assertTrue(metrics.contains("atrium_provisioning_runs_total{kind=\"create\",outcome=\"succeeded\"}"));
        assertTrue(metrics.contains("atrium_provisioning_step_duration_seconds_bucket{kind=\"create\""));
        assertTrue(metrics.contains("atrium_provisioning_oldest_due_seconds"));
    }
}
