package dev.atrium.background;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;

@QuarkusTest
class BackgroundWorkTest {

    private static final String PATH = "/internal/v1/background-work";

    @Inject
    Db db;

    @Test
    void onlyAnAdminServiceMayRunIt() {
        given().post(PATH).then().statusCode(401).body("code", equalTo("unauthenticated"));
        Api.as(Tokens.user(Tokens.unique("u"))).post(PATH).then().statusCode(403).body("code", equalTo("permission_denied"));
        Api.as(Tokens.platformAdmin(Tokens.unique("root"))).post(PATH).then().statusCode(403);
        Api.as(Tokens.service("billing-service", "atrium:workspaces:write")).post(PATH).then().statusCode(403);
        Api.as(Tokens.sign(Tokens.userClaims(Tokens.unique("x")).claim("scope", "atrium:admin"))).post(PATH).then()
                .statusCode(403);
    }

    @Test
    void aRunWhoseStartWasLostIsFinishedOnDemand() {
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

        Api.as(Tokens.service("provisioner", "atrium:admin")).post(PATH).then().statusCode(200)
                .body("object", equalTo("background_work"))
                .body("provisioning_runs_taken", greaterThanOrEqualTo(1));
        Api.as(token).get("/v1/workspaces/" + ws.get("id")).then().statusCode(200).body("status", equalTo("active"));
        assertEquals(3, db.count("select count(*) from environments where workspace_id = $1", ws.get("id")));
        assertEquals("succeeded", db.rows("select status from provisioning_runs where id = $1", run).get(0).getString(0));
    }
}
