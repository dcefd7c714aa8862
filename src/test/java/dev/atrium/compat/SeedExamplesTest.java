package dev.atrium.compat;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;

/**
 * The example requests of seeds 000 and 002, sent as their documents write them (method, path under the base URL
 * the README gives, headers, body), answer every field those documents show. Seeds 001 and 004 have their own
 * tests ({@link AstronomerApiTest}, {@link RecoupApiTest}).
 */
@QuarkusTest
class SeedExamplesTest {

    private static final String MICROS = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z$";

    @Inject
    Db db;

    /** Seed 000's curl example, base URL {@code .../v1}. */
    @Test
    void seed000CreateAnswersEveryDocumentedField() {
        String token = Tokens.user(Tokens.unique("seed0"));
        Response r = given().header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .body("{\n  \"name\": \"My New Workspace\",\n  \"description\": \"For developing the next big thing.\",\n"
                        + "  \"billing_mode\": \"pooled\"\n}")
                .post("/v1" + "/workspaces");
        r.then().statusCode(202)
                .body("id", matchesPattern("^ws_[0-9A-Za-z]+$"))
                .body("name", equalTo("My New Workspace"))
                .body("description", equalTo("For developing the next big thing."))
                .body("billing_mode", equalTo("pooled"))
                .body("pooled_seat_limit", notNullValue())
                .body("archived", equalTo(false))
                .body("created_at", matchesPattern(MICROS))
                .body("updated_at", matchesPattern(MICROS))
                .body("archived_at", nullValue());
        assertTrue(r.jsonPath().getMap("").containsKey("archived_at"), r.asString());
        assertTrue(r.<Integer>path("pooled_seat_limit") > 0, r.asString());
    }

    /** Seed 002's examples, base URL the cell's own ({@code $CP_URL}), in the order a client meets them. */
    @Test
    void seed002ExamplesAnswerEveryDocumentedField() throws InterruptedException {
        String userId = Tokens.unique("seed2");
        String token = Tokens.user(userId);
        String account = (String) Api.organization(token, "Seed account").get("id");

        Response created = given().header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .body("{\"account_id\":\"" + account + "\",\"name\":\"Development\",\"region\":\"us-east-1\"}")
                .post("/v1/workspaces");
        created.then().statusCode(202).body("provisioning_run_id", matchesPattern("^run_[0-9A-Za-z]+$"))
                .body("account_id", equalTo(account)).header("Link", containsString("rel=\"monitor\""));
        String id = created.path("id");
        assertEquals("active", db.awaitWorkspaceStatus(id, "active"));

        Response list = given().header("Authorization", "Bearer " + token).get("/v1/workspaces");
        list.then().statusCode(200).body("id", hasItem(id));
        Map<String, Object> row = list.jsonPath().getMap("find { it.id == '" + id + "' }");
        assertEquals(account, row.get("account_id"), row.toString());
        assertEquals("Development", row.get("name"));
        assertEquals("development", row.get("slug"));
        assertEquals("active", row.get("status"));
        assertEquals("us-east-1", row.get("region"));
        assertEquals("shared", row.get("tenancy_model"));
        assertTrue(String.valueOf(row.get("created_at")).matches(MICROS), row.toString());
        given().header("Authorization", "Bearer " + token).queryParam("limit", 100).get("/v1/workspaces").then()
                .statusCode(200).body("id", hasItem(id));

        given().header("Authorization", "Bearer " + token).get("/v1/workspaces/" + id).then().statusCode(200)
                .body("id", equalTo(id)).body("account_id", equalTo(account));
        given().header("Authorization", "Bearer " + token).get("/v1/workspaces/by-account/" + account).then()
                .statusCode(200).body("id", equalTo(List.of(id))).body("account_id", everyItem(equalTo(account)));
        given().header("Authorization", "Bearer " + token).get("/v1/workspaces/" + id + "/environments").then()
                .statusCode(200).body("name", equalTo(List.of("dev", "staging", "prod")));

        // Freeze as the seed's clients send it: a status and nothing else.
        given().header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .body("{\"status\":\"frozen\"}").patch("/v1/workspaces/" + id + "/status").then().statusCode(200)
                .body("status", equalTo("frozen"));
        given().header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .body("{\"status\":\"active\"}").patch("/v1/workspaces/" + id + "/status").then().statusCode(200)
                .body("status", equalTo("active"));

        // The export without format: the configured default (ndjson in this cell).
        Response export = given().header("Authorization", "Bearer " + token).get("/v1/workspaces/" + id + "/export");
        export.then().statusCode(200).contentType(containsString("application/x-ndjson"));
        String[] lines = export.asString().split("\n");
        assertTrue(lines[0].contains("\"object\":\"workspace\""), lines[0]);
        assertTrue(lines[lines.length - 1].contains("\"object\":\"export_end\""), lines[lines.length - 1]);

        given().header("Authorization", "Bearer " + token).get("/v1/workspaces/" + id + "/audit?limit=50").then()
                .statusCode(200).body("type", hasItem("workspace.frozen")).body("type", hasItem("workspace.created"));
        assertEquals(1, db.events(id, "workspace.frozen"));
    }
}
