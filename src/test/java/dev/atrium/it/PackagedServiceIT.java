package dev.atrium.it;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import dev.atrium.support.Api;
import dev.atrium.support.Tokens;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/**
 * The packaged application (the jar in {@code ./mvnw verify}, the native binary with {@code -Dnative}) in the prod
 * profile, configured as a deployment is, on a real PostgreSQL: everything checked over HTTP or with SQL, nothing
 * through the application's own classes.
 */
@QuarkusIntegrationTest
@WithTestResource(PackagedServiceResource.class)
class PackagedServiceIT {

    /** Injected by {@link PackagedServiceResource}. */
    CellDatabase database;

    @Test
    void healthAndMetricsOnTheManagementPortOnlyOpenApiPublicNoSwaggerUi() {
        RequestSpecification management = given().baseUri("http://localhost")
                .port(PackagedServiceResource.MANAGEMENT_PORT);
        management.get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        management.get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        management.get("/q/metrics").then().statusCode(200).body(containsString("# TYPE jvm_threads_live_threads gauge"));
        given().accept("application/json").get("/q/openapi?format=json").then().statusCode(200)
                .body("info.title", equalTo("Atrium API"))
                .body("paths", hasKey("/v1/workspaces"))
                .body("paths.'/v1/workspaces'.post.operationId", equalTo("createWorkspace"));
        for (String path : new String[] { "/q/health/ready", "/q/health/live", "/q/metrics", "/q/swagger-ui/",
                "/internal/v1/background-work" }) {
            given().get(path).then().statusCode(404);
        }
        management.get("/q/swagger-ui/").then().statusCode(404);
    }

    @Test
    void aProductionBuildRefusesToStartWithoutItsPublicBaseUrl() {
        try (PackagedCell cell = PackagedCell.create("no-base-url", PackagedServiceResource.REGION, database)
                .withoutEnv("ATRIUM_CELL_BASE_URL")) {
            int exit = cell.startExpectingExit(java.time.Duration.ofSeconds(90));
            org.junit.jupiter.api.Assertions.assertNotEquals(0, exit);
            org.junit.jupiter.api.Assertions.assertTrue(cell.logTail(80).contains("ATRIUM_CELL_BASE_URL"),
                    cell.logTail(80));
        }
    }

    @Test
    void noTokenOrAnUntrustedOneIs401WithAProblemBody() {
        given().get("/v1/workspaces").then().statusCode(401)
                .contentType("application/problem+json")
                .header("WWW-Authenticate", startsWith("Bearer"))
                .header("X-Atrium-Region", PackagedServiceResource.REGION)
                .body("code", equalTo("unauthenticated"))
                .body("status", equalTo(401));
        Api.as(Tokens.signUntrusted(Tokens.userClaims(Tokens.unique("mallory")))).get("/v1/workspaces").then()
                .statusCode(401).body("code", equalTo("unauthenticated"));
    }

    @Test
    void userCreatesAnOrganizationAndAnActiveWorkspace() {
        String sub = Tokens.unique("ann");
        String token = TrustedKey.user(sub);

        Api.as(token).body(Map.of("name", "Acme")).post("/v1/organizations").then().statusCode(201)
                .header("X-Atrium-Region", PackagedServiceResource.REGION);
        String org = Api.as(token).get("/v1/organizations").jsonPath()
                .getString("find { it.name == 'Acme' }.id");

        Response created = Api.as(token).header("Prefer", "wait=10")
                .body(Map.of("organization_id", org, "name", "Packaged")).post("/v1/workspaces");
        created.then().statusCode(201)
                .header("X-Atrium-Region", PackagedServiceResource.REGION)
                .header("Preference-Applied", "wait=10")
                .header("Location", matchesPattern("/v1/workspaces/ws_[0-9A-Za-z]+"))
                .body("object", equalTo("workspace"))
                .body("status", equalTo("active"))
                .body("organization_id", equalTo(org))
                .body("region", equalTo(PackagedServiceResource.REGION));
        String id = created.jsonPath().getString("id");

        Api.as(token).get("/v1/workspaces/" + id + "/environments").then().statusCode(200)
                .header("X-Atrium-Region", PackagedServiceResource.REGION)
                .body("name", equalTo(List.of("dev", "staging", "prod")))
                .body("id", everyItem(startsWith("env_")))
                .body("status", everyItem(equalTo("ready")));
        Api.as(token).get("/v1/workspaces/" + id).then().statusCode(200).body("status", equalTo("active"));
        Api.as(TrustedKey.user(Tokens.unique("eve"))).get("/v1/workspaces/" + id).then().statusCode(404);

        assertEquals(1, database.count("select count(*) from workspaces where id = ? and status = 'active'", id));
        assertEquals(3, database.count("select count(*) from environments where workspace_id = ?", id));
        assertEquals(1, database.count("select count(*) from workspace_members where workspace_id = ? and user_id = ?"
                + " and role = 'owner'", id, sub));
    }

    /**
     * Without a dataplane every step of a create works inside the database: a waited create runs its provisioning
     * in its own transaction and answers the active workspace at once. Every row the create and its run leave
     * behind was last written by one and the same transaction (their {@code xmin}, the events' {@code txid}). No
     * other transaction saw that run before it ended, so no one can be waiting for it and its end notifies no instance
     * (a notifying commit takes PostgreSQL's notify queue lock, one at a time); a run of its own transactions does.
     */
    @Test
    void aWaitedCreateWithoutADataplaneIsProvisionedInItsOwnTransaction() throws SQLException {
        try (Connection listener = database.connect()) {
            listener.createStatement().execute("LISTEN atrium_run_finished");
            aWaitedCreateIsProvisionedInItsOwnTransaction(listener);
        }
    }

    private void aWaitedCreateIsProvisionedInItsOwnTransaction(Connection listener) throws SQLException {
        String sub = Tokens.unique("ida");
        String token = TrustedKey.user(sub);
        Api.as(token).body(Map.of("name", "Inline")).post("/v1/organizations").then().statusCode(201);
        String org = Api.as(token).get("/v1/organizations").jsonPath().getString("find { it.name == 'Inline' }.id");
        String key = Tokens.unique("inline-key");
        Map<String, Object> body = Map.of("name", "Provisioned at once");
        double started = metric("atrium_provisioning_runs_total", "outcome=\"started\"");
        double succeeded = metric("atrium_provisioning_runs_total", "outcome=\"succeeded\"");
        double activations = metric("atrium_provisioning_step_duration_seconds_count", "step=\"activate\"",
                "outcome=\"succeeded\"");

        Response created = Api.as(token).header("Prefer", "wait=5").header("Idempotency-Key", key).body(body)
                .post("/v1/organizations/" + org + "/workspaces");
        created.then().statusCode(201)
                .header("Preference-Applied", "wait=5")
                .header("Location", matchesPattern("/v1/workspaces/ws_[0-9A-Za-z]+"))
                .header("ETag", matchesPattern("\"[0-9]+\\.[0-9]+\""))
                .header("Link", nullValue())
                .header("Retry-After", nullValue())
                .body("status", equalTo("active"))
                .body("organization_id", equalTo(org));
        String id = created.jsonPath().getString("id");
        String run = created.jsonPath().getString("provisioning_run_id");
        assertEquals("/v1/workspaces/" + id, created.header("Location"));
        // The answer was computed from the workspace in the create's transaction: it is what a read answers now.
        Response read = Api.as(token).get("/v1/workspaces/" + id);
        read.then().statusCode(200).body("status", equalTo("active"));
        assertEquals(read.header("ETag"), created.header("ETag"));
        assertEquals(read.jsonPath().getMap(""), created.jsonPath().getMap(""));

        Api.as(token).get("/v1/provisioning-runs/" + run).then().statusCode(200)
                .body("status", equalTo("succeeded"))
                .body("workspace_id", equalTo(id))
                .body("started_at", notNullValue())
                .body("finished_at", notNullValue())
                .body("next_attempt_at", nullValue())
                .body("steps.name", equalTo(List.of("environments", "dataplane", "access", "activate")))
                .body("steps.status", equalTo(List.of("succeeded", "skipped", "succeeded", "succeeded")))
                .body("steps.attempts", everyItem(equalTo(1)));
        assertEquals(3, database.count("select count(*) from environments where workspace_id = ? and status = 'ready'",
                id));
        assertEquals(1, database.count("select count(*) from access_relationships where workspace_id = ?"
                + " and subject_id = ?", id, sub));
        assertEquals(List.of("workspace.created", "workspace.provisioned"), database.rows(
                "select type from events where workspace_id = ? and type like 'workspace.%' order by txid, id", id)
                .stream().map(r -> r.get("type")).toList());
        // The transaction's events are written together at its end, each as it was when it happened.
        assertEquals(List.of("provisioning", "active"), database.rows("select after->>'status' as status from events"
                + " where workspace_id = ? and type like 'workspace.%' order by txid, id", id)
                .stream().map(r -> r.get("status")).toList());
        assertEquals(1, writersOf(id), "transactions that wrote the create and its run");
        assertEquals(0, database.count("select count(*) from provisioning_runs where id = ? and lease_owner is not null",
                run));
        assertEquals(started + 1, metric("atrium_provisioning_runs_total", "outcome=\"started\""));
        assertEquals(succeeded + 1, metric("atrium_provisioning_runs_total", "outcome=\"succeeded\""));
        assertEquals(activations + 1, metric("atrium_provisioning_step_duration_seconds_count", "step=\"activate\"",
                "outcome=\"succeeded\""));

        // A replay answers what the first answer said, and creates nothing.
        Response replayed = Api.as(token).header("Prefer", "wait=5").header("Idempotency-Key", key).body(body)
                .post("/v1/organizations/" + org + "/workspaces");
        replayed.then().statusCode(201)
                .header("Idempotent-Replayed", "true")
                .header("Preference-Applied", "wait=5")
                .header("Location", created.header("Location"))
                .header("ETag", created.header("ETag"))
                .body("status", equalTo("active"));
        assertEquals(created.jsonPath().getMap(""), replayed.jsonPath().getMap(""));
        assertEquals(1, database.count("select count(*) from workspaces where organization_id = ?", org));

        // Without Prefer: wait the run starts after the commit, as always.
        Response unwaited = Api.as(token).body(Map.of("name", "Later")).post("/v1/organizations/" + org + "/workspaces");
        unwaited.then().statusCode(202).body("status", equalTo("provisioning"))
                .header("Link", containsString("rel=\"monitor\""));
        String later = unwaited.jsonPath().getString("id");
        long deadline = System.currentTimeMillis() + 10_000;
        while (database.count("select count(*) from workspaces where id = ? and status = 'active'", later) == 0
                && System.currentTimeMillis() < deadline) {
            sleep(100);
        }
        Api.as(token).get("/v1/workspaces/" + later).then().statusCode(200).body("status", equalTo("active"));
        assertTrue(writersOf(later) > 1, "a create answered 202 runs its provisioning in transactions of its own");
        Set<String> notified = finishedRuns(listener, unwaited.jsonPath().getString("provisioning_run_id"));
        assertTrue(notified.contains(unwaited.jsonPath().getString("provisioning_run_id")), notified::toString);
        assertFalse(notified.contains(run), "the inline run's end was notified: " + notified);
    }

    /**
     * The run ids {@code listener} was notified of as finished, waiting up to 10 s for {@code expected} among them. A
     * statement first: the server delivers what was notified before it answers one.
     */
    private static Set<String> finishedRuns(Connection listener, String expected) throws SQLException {
        Set<String> ids = new HashSet<>();
        long deadline = System.currentTimeMillis() + 10_000;
        while (!ids.contains(expected) && System.currentTimeMillis() < deadline) {
            listener.createStatement().execute("select 1");
            PGNotification[] got = listener.unwrap(PGConnection.class).getNotifications(200);
            for (PGNotification n : got == null ? new PGNotification[0] : got) {
                ids.add(n.getParameter());
            }
        }
        return ids;
    }

    /**
     * A waited create without a dataplane (the create a cell without one serves most) runs a bounded number of
     * statements, as the PostgreSQL client's own metric counts them: the organization and the caller's role in it,
     * the workspace, the owner, the environments, the access relationships (which read the owner themselves), the
     * activation (the workspace row this transaction inserted is not locked and read again), the run and its steps
     * written once as they ended, the join budget under the user's lock, and the three events in one statement last.
     * 10 when this was written (15 while the run and its steps were written pending and then recorded done, each event
     * on its own, and the join budget's lock and count were two; 18 before the activation, the owner's read and the
     * steps' record were cut). The least of three creates: the service's own timers may run a statement during one
     * of them.
     */
    @Test
    void aWaitedCreateWithoutADataplaneRunsFewStatements() {
        String token = TrustedKey.user(Tokens.unique("bo"));
        Api.as(token).body(Map.of("name", "Budget")).post("/v1/organizations").then().statusCode(201);
        String org = Api.as(token).get("/v1/organizations").jsonPath().getString("find { it.name == 'Budget' }.id");
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            double before = statements();
            Api.as(token).header("Prefer", "wait=5").body(Map.of("name", "Budget " + i))
                    .post("/v1/organizations/" + org + "/workspaces").then().statusCode(201)
                    .body("status", equalTo("active"));
            least = Math.min(least, Math.round(statements() - before));
        }
        assertTrue(least <= 8, "statements of a waited create without a dataplane: " + least);
    }

    /** Statements the service's PostgreSQL client completed so far. */
    private static double statements() {
        return scrapedSum("postgresql_completed_total");
    }

    /** The compatibility creates always wait: without a dataplane they too answer a workspace provisioned at once. */
    @Test
    void compatibilityCreatesAreProvisionedInTheirOwnTransaction() {
        String sub = Tokens.unique("cora");
        String token = TrustedKey.user(sub);
        Response recoup = Api.as(token).body(Map.of("name", "Roster")).post("/api/workspaces");
        recoup.then().statusCode(201).body("workspace.name", equalTo("Roster"));
        String recoupId = recoup.jsonPath().getString("workspace.id");
        assertEquals(1, writersOf(recoupId));

        String org = recoup.jsonPath().getString("workspace.account_id");
        Response astronomer = Api.as(token).body(Map.of("name", "Pipelines"))
                .post("/platform/v1beta1/organizations/" + org + "/workspaces");
        astronomer.then().statusCode(200).body("name", equalTo("Pipelines"));
        String astronomerId = astronomer.jsonPath().getString("id");
        assertEquals(1, writersOf(astronomerId));
        for (String id : List.of(recoupId, astronomerId)) {
            Api.as(token).get("/v1/workspaces/" + id).then().statusCode(200).body("status", equalTo("active"));
        }
    }

    /** Waited creates of one user side by side, the first of them also making the user's personal organization. */
    @Test
    void parallelWaitedCreatesOfOneUserAllAnswerActive() throws Exception {
        String sub = Tokens.unique("pia");
        String token = TrustedKey.user(sub);
        int creates = 8;
        ExecutorService pool = Executors.newFixedThreadPool(creates);
        try {
            List<Future<Response>> answers = new ArrayList<>();
            for (int i = 0; i < creates; i++) {
                String name = "Side by side " + i;
                answers.add(pool.submit(() -> Api.as(token).header("Prefer", "wait=10").body(Map.of("name", name))
                        .post("/v1/workspaces")));
            }
            Set<String> ids = new HashSet<>();
            for (Future<Response> answer : answers) {
                Response r = answer.get(60, TimeUnit.SECONDS);
                assertEquals(201, r.statusCode(), r.asString());
                assertEquals("active", r.jsonPath().getString("status"), r.asString());
                ids.add(r.jsonPath().getString("id"));
            }
            assertEquals(creates, ids.size());
            for (String id : ids) {
                assertEquals(1, writersOf(id), id);
                assertEquals(1, database.count("select count(*) from provisioning_runs r join workspaces w"
                        + " on w.provisioning_run_id = r.id where w.id = ? and r.status = 'succeeded'", id));
            }
            assertEquals(1, database.count("select count(*) from organizations o join organization_members m"
                    + " on m.organization_id = o.id where m.user_id = ? and o.personal", sub));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * How many transactions last wrote the rows of workspace {@code id}'s create and its provisioning run: the
     * workspace, its owner, run, steps, environments, access relationships and the workspace's events.
     */
    private long writersOf(String id) {
        return database.count("""
                select count(distinct writer) from (
                    select xmin::text as writer from workspaces where id = ?
                    union all select m.xmin::text from workspace_members m where m.workspace_id = ?
                    union all select r.xmin::text from provisioning_runs r join workspaces w
                              on w.provisioning_run_id = r.id where w.id = ?
                    union all select s.xmin::text from provisioning_steps s join workspaces w
                              on w.provisioning_run_id = s.run_id where w.id = ?
                    union all select xmin::text from environments where workspace_id = ?
                    union all select xmin::text from access_relationships where workspace_id = ?
                    union all select (txid::text::numeric % 4294967296)::bigint::text from events
                              where workspace_id = ?) writers""", id, id, id, id, id, id, id);
    }

    /** The value of {@code name} for create runs with {@code labels} on the management port's scrape; 0 before any. */
    private static double metric(String name, String... labels) {
        String[] all = java.util.Arrays.copyOf(labels, labels.length + 1);
        all[labels.length] = "kind=\"create\"";
        return scrapedSum(name, all);
    }

    /** The sum of {@code name}'s series that carry every one of {@code labels}, on the management port's scrape. */
    private static double scrapedSum(String name, String... labels) {
        String scrape = given().baseUri("http://localhost").port(PackagedServiceResource.MANAGEMENT_PORT)
                .get("/q/metrics").then().statusCode(200).extract().asString();
        return scrape.lines().filter(l -> l.startsWith(name + "{"))
                .filter(l -> java.util.Arrays.stream(labels).allMatch(l::contains))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf("} ") + 2).split(" ")[0])).sum();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
