package dev.atrium.background;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.atrium.Main;
import dev.atrium.support.Api;
import dev.atrium.support.ChoresRunner;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;

/**
 * A round of chores in the running application (what {@code chores} mode runs in a process of its own, see
 * {@code ChoresIT}), and the public port, which offers no way to trigger it.
 */
@QuarkusTest
class ChoresTest {

    @Inject
    Db db;

    @Inject
    ChoresRunner chores;

    @Test
    void noInternalPathAnswersOnThePublicPort() {
        String admin = Tokens.service("provisioner", "atrium:admin");
        for (String path : new String[] { "/internal/v1/background-work", "/internal", "/internal/v1/anything" }) {
            given().post(path).then().statusCode(404);
            Api.as(admin).post(path).then().statusCode(404);
            Api.as(admin).get(path).then().statusCode(404);
        }
        String document = given().accept("application/json").get("/q/openapi").then().statusCode(200).extract()
                .asString();
        assertFalse(document.contains("/internal"), "the published API has no /internal path");
    }

    @Test
    void aRunWhoseStartWasLostIsFinishedByARound() {
        String token = Tokens.user(Tokens.unique("lost"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        Object run = ws.get("provisioning_run_id");
        // As if the process died between the commit and the start of the run.
        db.rows("delete from environments where workspace_id = $1", ws.get("id"));
        db.rows("update provisioning_steps set status = 'pending', attempts = 0, started_at = null, finished_at = null"
                + " where run_id = $1", run);
        db.rows("update provisioning_runs set status = 'pending', started_at = null, finished_at = null where id = $1",
                run);
        db.rows("update workspaces set status = 'provisioning' where id = $1", ws.get("id"));

        assertTrue(chores.runOnce().provisioningRunsTaken() >= 1);
        Api.as(token).get("/v1/workspaces/" + ws.get("id")).then().statusCode(200).body("status", equalTo("active"));
        assertEquals(3, db.count("select count(*) from environments where workspace_id = $1", ws.get("id")));
        assertEquals("succeeded", db.rows("select status from provisioning_runs where id = $1", run).get(0).getString(0));
    }

    @Test
    void aRoundDoesEachChoreAndTheNextFindsItDone() {
        String owner = Tokens.user(Tokens.unique("round"));
        Map<String, Object> ws = Api.activeWorkspace(owner);
        String invitation = Api.as(owner).body(Map.of("email", Tokens.unique("late") + "@example.com", "role",
                "member")).post("/v1/workspaces/" + ws.get("id") + "/members/invite").then().statusCode(201)
                .extract().path("id");
        db.rows("update invitations set expires_at = now() - interval '1 minute' where id = $1", invitation);
        String key = UUID.randomUUID().toString();
        Api.as(owner).header("Idempotency-Key", key).body(Map.of("name", Tokens.unique("Kept"))).post("/v1/workspaces")
                .then().statusCode(202);
        db.rows("update idempotency_keys set expires_at = now() - interval '1 second' where idempotency_key = $1", key);

        Chores.Round round = chores.runOnce();
        assertTrue(round.invitationsExpired() >= 1, round.toString());
        assertTrue(round.idempotencyKeysPurged() >= 1, round.toString());
        assertEquals("expired", db.rows("select status from invitations where id = $1", invitation).get(0)
                .getString(0));
        assertEquals(0, db.count("select count(*) from idempotency_keys where idempotency_key = $1", key));

        chores.runOnce();
        assertEquals(1, db.count("select count(*) from events where resource_id = $1 and type = 'invitation.expired'",
                invitation), "expired once");
    }

    @Test
    void theCommandLineNamesChoresAndAddsTheJobProfile() {
        assertEquals("chores", Main.command("chores"));
        assertEquals("chores", Main.command("-Dquarkus.http.host=0.0.0.0", "-Xmx96m", "chores"));
        assertEquals("migrate", Main.command("-Xmx96m", "migrate"));
        assertEquals("", Main.command());
        assertEquals("", Main.command("-Dquarkus.http.host=0.0.0.0"));
        assertEquals("serve", Main.command("serve", "chores"));
        assertEquals("prod,job", Main.withJobProfile("prod"));
        assertEquals("prod,job", Main.withJobProfile("prod,job"));
        assertEquals("staging,job", Main.withJobProfile("staging"));
    }
}
