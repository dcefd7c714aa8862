package dev.atrium.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import dev.atrium.support.Tokens;

/**
 * {@code chores} mode of the packaged application ({@code java -jar quarkus-run.jar chores}), as the chart's CronJob
 * runs it: on a database set up as deploy/README.md says (the migration as the schema's owner, the service and the
 * chores as a role that may only read and write rows), with the database settings and the cell's region only, no
 * token key, pepper or sealing key. First with the service stopped (a cell at zero): one round does every chore. Then
 * two rounds at once beside the running service, whose own worker claims runs all along: every provisioning run is
 * driven once (one dataplane call, one attempt), every invitation expired once, every workspace purged once.
 */
class ChoresIT {

    static final String REGION = "us-east-1";
    static final int RUNS = 24;
    static final int INVITATIONS = 6;
    static final int PURGES = 3;
    static final Duration JOB_TIMEOUT = Duration.ofSeconds(120);
    static final Pattern SUMMARY = Pattern.compile("chores done in \\d+ ms: provisioning_runs_taken=(\\d+)"
            + " workspaces_purged=(\\d+) invitations_expired=(\\d+) idempotency_keys_purged=(\\d+)");

    static CellDatabase db;
    static PackagedCell service;
    static HttpServer dataplane;
    /** PUTs per workspace id since the last reset; each answered after {@link #dataplaneDelayMillis}. */
    static final Map<String, AtomicInteger> puts = new ConcurrentHashMap<>();
    static volatile long dataplaneDelayMillis;

    @BeforeAll
    static void start() throws IOException {
        dataplane = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        dataplane.setExecutor(Executors.newCachedThreadPool());
        dataplane.createContext("/workspaces/", exchange -> {
            String id = exchange.getRequestURI().getPath().substring("/workspaces/".length());
            if ("PUT".equals(exchange.getRequestMethod())) {
                puts.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            }
            exchange.getRequestBody().readAllBytes();
            try {
                Thread.sleep(dataplaneDelayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "{}".getBytes();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        dataplane.start();
        db = CellDatabase.start("chores");
        db.createRoles();
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.stop();
        }
        if (db != null) {
            db.close();
        }
        if (dataplane != null) {
            dataplane.stop(0);
        }
    }

    @Test
    void aRoundAtZeroAndRoundsBesideTheServiceDoEachChoreOnce() throws Exception {
        migrateAsOwner();
        SQLException refused = assertThrows(SQLException.class,
                () -> db.executeAs(CellDatabase.APP, "create table not_allowed (id int)"));
        assertEquals("42501", refused.getSQLState(), "the service's role cannot change the schema");

        service = PackagedCell.create("chores-service", REGION, db).databaseUser(CellDatabase.APP)
                .env("ATRIUM_MIGRATE_AT_START", "false")
                .env("ATRIUM_DATAPLANE_URL", dataplaneUrl())
                // The service keeps claiming runs, one at a time, all through the rounds beside it.
                .env("ATRIUM_PROVISIONING_BATCH", "1")
                .env("ATRIUM_PROVISIONING_WORKER_EVERY", "1s")
                .start();
        String owner = Tokens.unique("chores");
        String token = service.token(Tokens.userClaims(owner));
        List<String> workspaces = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            workspaces.add(createActive(token, "Run " + i));
        }
        List<String> deleted = new ArrayList<>();
        for (int i = 0; i < 2 * PURGES; i++) {
            String id = createActive(token, "Purged " + i);
            service.as(token).delete("/v1/workspaces/" + id).then().statusCode(202);
            deleted.add(id);
        }
        List<String> invitations = invite(token, workspaces.subList(0, INVITATIONS));
        awaitTrue(() -> db.count("select count(*) from workspaces where id = any(?) and status = 'deleted'",
                (Object) deleted.toArray(String[]::new)) == 2 * PURGES, "deletions finish");

        // A cell at zero: nothing serves, the CronJob's round does the work.
        service.stop();
        makeDue(workspaces, invitations, deleted.subList(0, PURGES));
        PackagedCell.JobResult alone = PackagedCell.runJob("chores-alone", choresEnvironment(), JOB_TIMEOUT, "chores");
        assertEquals(0, alone.exitCode(), alone.output());
        assertFalse(alone.output().contains("Listening on"), "chores mode opens no port");
        long[] done = summary(alone.output());
        assertEquals(RUNS, done[0], alone.output());
        assertEquals(PURGES, done[1], alone.output());
        assertEquals(INVITATIONS, done[2], alone.output());
        assertTrue(done[3] >= RUNS, "the creates' idempotency keys: " + alone.output());
        assertEachDoneOnce(workspaces, invitations, deleted.subList(0, PURGES), 2);

        // Two rounds at once, beside the running service and its own worker.
        service.start();
        List<String> moreInvitations = invite(token, workspaces.subList(INVITATIONS, 2 * INVITATIONS));
        makeDue(workspaces, moreInvitations, deleted.subList(PURGES, 2 * PURGES));
        dataplaneDelayMillis = 1500;
        Process first = PackagedCell.startJob("chores-beside-1", choresEnvironment(), "chores");
        Process second = PackagedCell.startJob("chores-beside-2", choresEnvironment(), "chores");
        PackagedCell.JobResult one = PackagedCell.awaitJob("chores-beside-1", first, JOB_TIMEOUT);
        PackagedCell.JobResult two = PackagedCell.awaitJob("chores-beside-2", second, JOB_TIMEOUT);
        assertEquals(0, one.exitCode(), one.output());
        assertEquals(0, two.exitCode(), two.output());
        awaitTrue(() -> db.count("select count(*) from workspaces where id = any(?) and status = 'active'",
                (Object) workspaces.toArray(String[]::new)) == RUNS, "every run finishes");
        long[] a = summary(one.output());
        long[] b = summary(two.output());
        assertTrue(a[0] + b[0] >= 1 && a[0] + b[0] <= RUNS, "the rounds took runs the service had not: " + a[0]
                + " + " + b[0]);
        // The service's own timers may take some of these too; the events below show each was done once.
        assertTrue(a[1] + b[1] <= PURGES, "no workspace purged twice: " + a[1] + " + " + b[1]);
        assertTrue(a[2] + b[2] <= INVITATIONS, "no invitation expired twice: " + a[2] + " + " + b[2]);
        assertEachDoneOnce(workspaces, moreInvitations, deleted.subList(PURGES, 2 * PURGES), 3);
        service.stop();
    }

    /** The migration Job: the schema's owner, the job profile, the database settings and nothing else. */
    private static void migrateAsOwner() {
        Map<String, String> env = new LinkedHashMap<>(PackagedCell.databaseSettings(db, CellDatabase.OWNER));
        env.put("ATRIUM_CELL_BASE_URL", "https://chores.atrium.test");
        PackagedCell.JobResult migration = PackagedCell.runJob("chores-migrate", env, JOB_TIMEOUT, "migrate");
        assertEquals(0, migration.exitCode(), migration.output());
        assertEquals(CellDatabase.OWNER, db.rows("select tableowner from pg_tables where tablename = 'workspaces'")
                .get(0).get("tableowner"));
    }

    /** What the chart gives the chores CronJob: the database (the service's role), the cell's region and URL, the dataplane. */
    private static Map<String, String> choresEnvironment() {
        Map<String, String> env = new LinkedHashMap<>(PackagedCell.databaseSettings(db, CellDatabase.APP));
        env.put("ATRIUM_CELL_REGION", REGION);
        env.put("ATRIUM_CELL_BASE_URL", "https://chores.atrium.test");
        env.put("ATRIUM_DATAPLANE_URL", dataplaneUrl());
        return env;
    }

    private static String dataplaneUrl() {
        return "http://127.0.0.1:" + dataplane.getAddress().getPort();
    }

    private static String createActive(String token, String name) {
        return service.as(token).header("Prefer", "wait=10").header("Idempotency-Key", UUID.randomUUID().toString())
                .body(Map.of("name", name)).post("/v1/workspaces").then().statusCode(201).extract().path("id");
    }

    private static List<String> invite(String token, List<String> workspaces) {
        List<String> ids = new ArrayList<>();
        for (String ws : workspaces) {
            ids.add(service.as(token).body(Map.of("email", Tokens.unique("invitee") + "@example.com", "role",
                    "member")).post("/v1/workspaces/" + ws + "/members/invite").then().statusCode(201).extract()
                    .path("id"));
        }
        return ids;
    }

    /**
     * Makes work due as if it had waited while nothing ran: each create run as if its process died before starting
     * it, the invitations past their expiry, the deleted workspaces past retention, every idempotency key expired.
     */
    private static void makeDue(List<String> workspaces, List<String> invitations, List<String> purged) {
        Object ws = workspaces.toArray(String[]::new);
        db.rows("delete from environments where workspace_id = any(?)", ws);
        db.rows("update provisioning_steps set status = 'pending', attempts = 0, started_at = null,"
                + " finished_at = null, last_error = null"
                + " where run_id in (select provisioning_run_id from workspaces where id = any(?))", ws);
        db.rows("update provisioning_runs set status = 'pending', started_at = null, finished_at = null,"
                + " lease_owner = null, lease_until = null, next_attempt_at = now()"
                + " where id in (select provisioning_run_id from workspaces where id = any(?))", ws);
        db.rows("update workspaces set status = 'provisioning' where id = any(?)", ws);
        db.rows("update invitations set expires_at = now() - interval '1 minute' where id = any(?)",
                (Object) invitations.toArray(String[]::new));
        db.rows("update workspaces set purge_at = now() - interval '1 second' where id = any(?)",
                (Object) purged.toArray(String[]::new));
        db.rows("update idempotency_keys set expires_at = now() - interval '1 second'");
        puts.clear();
    }

    /** Every piece of work made due was done, and done once. */
    private static void assertEachDoneOnce(List<String> workspaces, List<String> invitations, List<String> purged,
            int provisionedEvents) {
        for (String id : workspaces) {
            assertEquals("active", db.rows("select status from workspaces where id = ?", id).get(0).get("status"));
            assertEquals(1, puts.getOrDefault(id, new AtomicInteger()).get(), id + ": one dataplane call");
            assertEquals(1L, db.count("select attempts from provisioning_steps where name = 'dataplane' and run_id ="
                    + " (select provisioning_run_id from workspaces where id = ?)", id), id + ": one attempt");
            assertEquals(3L, db.count("select count(*) from environments where workspace_id = ?", id), id);
            assertEquals(provisionedEvents, db.count("select count(*) from events where workspace_id = ?"
                    + " and type = 'workspace.provisioned'", id), id);
        }
        for (String id : invitations) {
            assertEquals("expired", db.rows("select status from invitations where id = ?", id).get(0).get("status"));
            assertEquals(1L, db.count("select count(*) from events where resource_id = ? and type = 'invitation.expired'",
                    id), id);
        }
        for (String id : purged) {
            assertEquals(0L, db.count("select count(*) from workspaces where id = ?", id), id);
            assertEquals(1L, db.count("select count(*) from events where workspace_id = ? and type = 'workspace.purged'",
                    id), id);
        }
        assertEquals(0L, db.count("select count(*) from idempotency_keys where expires_at < now()"));
    }

    private static long[] summary(String output) {
        Matcher m = SUMMARY.matcher(output);
        assertTrue(m.find(), "no summary line in:\n" + output);
        return new long[] { Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                Long.parseLong(m.group(4)) };
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(JOB_TIMEOUT);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(200);
        }
    }
}
