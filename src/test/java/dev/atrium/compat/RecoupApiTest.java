package dev.atrium.compat;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Contract;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;

/**
 * A client of Recoup's {@code POST /api/workspaces} works against Atrium with only its base URL and token changed:
 * the seed document's request bodies, sent as written, answered in its shapes, under Atrium's authorization, with
 * Atrium's events.
 */
@QuarkusTest
class RecoupApiTest {

    private static final String PATH = "/api/workspaces";

    @Inject
    Db db;

    @Test
    void withoutAnAccountTheWorkspaceIsTheCallersOwnAndUntitled() {
        String userId = Tokens.unique("recoup");
        String token = Tokens.user(userId);
        Response r = send(token, "{}");
        r.then().statusCode(201).contentType("application/json")
                .body("workspace.id", matchesPattern("^ws_[0-9A-Za-z]+$"))
                .body("workspace.name", equalTo("Untitled"))
                .body("workspace.isWorkspace", equalTo(true));
        assertEquals(1, r.jsonPath().getMap("").size(), r.asString());
        assertEquals(4, r.jsonPath().getMap("workspace").size(), r.asString());
        String id = r.path("workspace.id");
        String personal = db.rows("select o.id from organizations o join organization_members m on"
                + " m.organization_id = o.id where m.user_id = $1 and o.personal", userId).get(0).getString(0);
        assertEquals(personal, r.path("workspace.account_id"));
        Api.as(token).get("/v1/workspaces/" + id).then().statusCode(200).body("status", equalTo("active"))
                .body("account_id", equalTo(personal)).body("organization_id", equalTo(personal));
        assertEquals(1, db.count("select count(*) from events where type = 'workspace.created' and workspace_id = $1"
                + " and actor ->> 'id' = $2", id, userId));
    }

    @Test
    void accountIdAndOrganizationIdNameTheOrganization() {
        String token = Tokens.user(Tokens.unique("recoup"));
        String org = (String) Api.organization(token, "Label").get("id");
        send(token, "{\"name\": \"Artist roster\", \"account_id\": \"" + org + "\"}").then().statusCode(201)
                .body("workspace.name", equalTo("Artist roster")).body("workspace.account_id", equalTo(org));
        send(token, "{\"name\": \"Tour\", \"organization_id\": \"" + org + "\"}").then().statusCode(201)
                .body("workspace.account_id", equalTo(org));
        send(token, "{\"name\": \"Both\", \"account_id\": \"" + org + "\", \"organization_id\": \"" + org + "\"}")
                .then().statusCode(201).body("workspace.account_id", equalTo(org));
        assertEquals(3, db.count("select count(*) from workspaces where organization_id = $1", org));
    }

    @Test
    void anOrganizationTheCallerCannotUseIs403WhetherItExistsOrNot() {
        String owner = Tokens.user(Tokens.unique("recoup"));
        String org = (String) Api.organization(owner, "Theirs").get("id");
        String strangerId = Tokens.unique("stranger");
        String stranger = Tokens.user(strangerId);
        recoupError(send(stranger, "{\"name\": \"x\", \"account_id\": \"" + org + "\"}"), 403);
        recoupError(send(stranger, "{\"name\": \"x\", \"organization_id\": \"" + org + "\"}"), 403);
        String missing = org.substring(0, org.length() - 6) + "000000";
        recoupError(send(stranger, "{\"name\": \"x\", \"account_id\": \"" + missing + "\"}"), 403);
        // A member who may not create workspaces there.
        String memberId = Tokens.unique("member");
        Api.as(owner).body(Map.of("role", "member")).put("/v1/organizations/" + org + "/members/" + memberId).then()
                .statusCode(200);
        recoupError(send(Tokens.user(memberId), "{\"account_id\": \"" + org + "\"}"), 403);
        assertEquals(0, db.count("select count(*) from workspaces where organization_id = $1", org));
        assertEquals(0, db.count("select count(*) from events where actor ->> 'id' in ($1, $2)"
                + " and type = 'workspace.created'", strangerId, memberId));
    }

    @Test
    void refusalsAreRecoupErrors() {
        recoupError(given().filter(Contract.invalidRequest()).contentType("application/json").body("{}").post(PATH),
                401);
        String token = Tokens.user(Tokens.unique("recoup"));
        Response tooLong = given().filter(Contract.invalidRequest()).header("Authorization", "Bearer " + token)
                .contentType("application/json").body("{\"name\": \"" + "x".repeat(51) + "\"}").post(PATH);
        recoupError(tooLong, 400);
        assertTrue(tooLong.<String>path("message").contains("name"), tooLong.asString());
        recoupError(given().filter(Contract.invalidRequest()).header("Authorization", "Bearer " + token)
                .contentType("application/json").body("{\"name\": 5}").post(PATH), 400);
        String org = (String) Api.organization(token, "Mine").get("id");
        String other = (String) Api.organization(token, "Also mine").get("id");
        recoupError(send(token, "{\"account_id\": \"" + org + "\", \"organization_id\": \"" + other + "\"}"), 400);
        assertEquals(0, db.count("select count(*) from workspaces where organization_id in ($1, $2)", org, other));
    }

    /** As the seed's clients send it: a JSON body and a bearer token. */
    private static Response send(String token, String json) {
        return given().header("Authorization", "Bearer " + token).contentType("application/json").body(json)
                .post(PATH);
    }

    /** {@code {"error": <status>, "message": "..."}}. */
    static void recoupError(Response r, int status) {
        r.then().statusCode(status).contentType("application/json").body("error", equalTo(status));
        Map<String, Object> body = r.jsonPath().getMap("");
        assertEquals(2, body.size(), r.asString());
        assertTrue(body.get("message") instanceof String message && !message.isBlank(), r.asString());
    }
}
