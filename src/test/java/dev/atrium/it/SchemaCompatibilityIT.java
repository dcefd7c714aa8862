package dev.atrium.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.atrium.support.Tokens;

/**
 * The expand/contract rule of deploy/README.md ("Upgrades and rollbacks"): a release's migrations only add what the
 * release before it does not see, so that release (still serving during a rollout, or brought back by
 * {@code helm rollback}) keeps working on the newer schema. The packaged build of this tree stands in for "the release
 * before": its schema is migrated one step further with an expand step of the kind the next release would ship
 * ({@code src/test/resources/db/compat/expand}); it serves reads and writes, and its migration Job (an older chart
 * re-applied, or the hook of a {@code helm rollback}) leaves the newer migration be, accepts the schema and exits 0.
 * Then a contract step that drops a column this build still maps makes the same Job refuse the schema and exit
 * non-zero, so a rollback fails before any pod changes: the check can fail.
 *
 * <p>What this does not prove: that a real next release's migrations follow the rule. That is what the rule and
 * {@code MigrationRulesTest} are for.
 */
class SchemaCompatibilityIT {

    static final Duration JOB_TIMEOUT = Duration.ofSeconds(120);

    static CellDatabase db;
    static PackagedCell cell;

    @BeforeAll
    static void start() {
        db = CellDatabase.start("compat");
        db.createRoles();
    }

    @AfterAll
    static void stop() {
        if (cell != null) {
            cell.stop();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void thisBuildRunsOnTheSchemaOfTheNextExpandStepAndRefusesAContractedOne() {
        migrate("classpath:db/migration", "classpath:db/compat/expand");
        assertEquals(1, db.count("select count(*) from flyway_schema_history where version = '9000' and success"));

        cell = PackagedCell.create("compat-service", "us-east-1", db).databaseUser(CellDatabase.APP)
                .env("ATRIUM_MIGRATE_AT_START", "false").start();
        String token = cell.token(Tokens.userClaims(Tokens.unique("compat")));
        String id = cell.as(token).header("Prefer", "wait=10").body(Map.of("name", "On a newer schema"))
                .post("/v1/workspaces").then().statusCode(201).extract().path("id");
        cell.as(token).get("/v1/workspaces/" + id).then().statusCode(200);
        cell.as(token).body(Map.of("name", "Renamed")).contentType("application/merge-patch+json")
                .patch("/v1/workspaces/" + id).then().statusCode(200);
        cell.stop();

        Map<String, String> job = new LinkedHashMap<>(PackagedCell.databaseSettings(db, CellDatabase.OWNER));
        job.put("ATRIUM_CELL_BASE_URL", "https://compat.atrium.test");
        PackagedCell.JobResult migration = PackagedCell.runJob("compat-migrate", job, JOB_TIMEOUT, "migrate");
        assertEquals(0, migration.exitCode(), migration.output());

        migrate("classpath:db/migration", "classpath:db/compat/expand", "classpath:db/compat/contract");
        PackagedCell.JobResult refused = PackagedCell.runJob("compat-refused", job, JOB_TIMEOUT, "migrate");
        assertNotEquals(0, refused.exitCode(), refused.output());
        assertTrue(refused.output().contains("failure_reason"), refused.output());
    }

    /** Flyway in the test JVM, as the schema's owner, over the given locations. */
    private static void migrate(String... locations) {
        Flyway.configure().dataSource(db.jdbcUrl(), CellDatabase.OWNER, db.password()).locations(locations)
                .load().migrate();
    }
}
