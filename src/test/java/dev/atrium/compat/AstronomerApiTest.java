package dev.atrium.compat;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
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
 * A client of the Astronomer platform API (v1beta1) works against Atrium with only its base URL
 * ({@code /platform/v1beta1}) and token changed: the seed document's own example request, sent as written, and every
 * other workspace operation of that API, answered in its shapes, under Atrium's authorization, with Atrium's events.
 */
@QuarkusTest
class AstronomerApiTest {

    static final String BASE = "/platform/v1beta1";
    private static final String SECONDS = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$";

    @Inject
    Db db;

    /** The seed's curl example, byte for byte: {@code -H Authorization -H Content-Type -d '{ "name": "My Workspace" }'}. */
    @Test
    void theSeedsCreateExampleAnswersEveryDocumentedField() {
        String userId = Tokens.unique("astro");
        String token = Tokens.user(userId);
        Map<String, Object> org = Api.organization(token, "My Organization");
        String orgId = (String) org.get("id");

        Response r = given().header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .header("Accept", "*/*").body("{\n\"name\": \"My Workspace\"\n}")
                .post(BASE + "/organizations/" + orgId + "/workspaces");

        r.then().statusCode(200).contentType("application/json")
                .body("id", matchesPattern("^ws_[0-9A-Za-z]+$"))
                .body("name", equalTo("My Workspace"))
                .body("description", nullValue())
                .body("organizationId", equalTo(orgId))
                .body("organizationName", equalTo("My Organization"))
                .body("cicdEnforcedDefault", equalTo(false))
                .body("createdAt", matchesPattern(SECONDS))
                .body("updatedAt", matchesPattern(SECONDS))
                .body("createdBy.id", equalTo(userId))
                .body("createdBy.subjectType", equalTo("USER"))
                .body("createdBy.fullName", equalTo("User " + userId))
                .body("createdBy.username", equalTo(userId + "@example.com"))
                // The last change was provisioning's, which made it active: Atrium's own.
                .body("updatedBy.id", equalTo("system"))
                .body("updatedBy.subjectType", equalTo("SERVICEKEY"))
                .body("updatedBy.fullName", equalTo("Atrium"));
        Map<String, Object> actor = r.jsonPath().getMap("createdBy");
        assertFalse(actor.containsKey("avatarUrl"), "Atrium keeps no avatars: " + actor);
        assertFalse(actor.containsKey("apiTokenName"), "a user has no token name: " + actor);
        assertTrue(r.jsonPath().getMap("").containsKey("description"), r.asString());

        // Answered once active, with the same workspace as the Atrium API shows, and the same event.
        String id = r.path("id");
        Api.as(token).get("/v1/workspaces/" + id).then().statusCode(200).body("status", equalTo("active"))
                .body("organization_id", equalTo(orgId)).body("name", equalTo("My Workspace"));
        assertEquals(1, db.count("select count(*) from events where type = 'workspace.created' and workspace_id = $1"
                + " and actor ->> 'id' = $2", id, userId));
        assertEquals(1, db.count("select count(*) from workspace_members where workspace_id = $1 and user_id = $2"
                + " and role = 'owner'", id, userId));
    }

    @Test
    void createTakesTheDescriptionAndTheCicdDefault() {
        String token = Tokens.user(Tokens.unique("astro"));
        String orgId = (String) Api.organization(token, "Org").get("id");
        Response r = Api.as(token).body(Map.of("name", "Data", "description", "This is a test workspace",
                "cicdEnforcedDefault", true)).post(BASE + "/organizations/" + orgId + "/workspaces");
        r.then().statusCode(200).body("description", equalTo("This is a test workspace"))
                .body("cicdEnforcedDefault", equalTo(true));
        Api.as(token).get("/v1/workspaces/" + r.path("id")).then().statusCode(200)
                .body("settings.cicd_enforced_default", equalTo(true));
    }

    @Test
    void getUpdateListAndDeleteActAsTheAtriumOperations() {
        String userId = Tokens.unique("astro");
        String token = Tokens.user(userId);
        String orgId = (String) Api.organization(token, "Org").get("id");
        String path = BASE + "/organizations/" + orgId + "/workspaces";
        String first = create(token, path, "First");
        String second = create(token, path, "Second");
        String third = create(token, path, "Third");

        Api.as(token).get(path + "/" + second).then().statusCode(200).body("id", equalTo(second))
                .body("name", equalTo("Second")).body("organizationId", equalTo(orgId));

        // Update: what the body names changes, the rest stays; recorded as the Atrium PATCH is.
        Api.as(token).body(Map.of("name", "Second, renamed", "cicdEnforcedDefault", true)).post(path + "/" + second)
                .then().statusCode(200).body("name", equalTo("Second, renamed")).body("cicdEnforcedDefault",
                        equalTo(true))
                .body("description", nullValue()).body("updatedBy.id", equalTo(userId));
        assertEquals(1, db.count("select count(*) from events where type = 'workspace.updated' and workspace_id = $1",
                second));

        // Newest first, by offset, with the total.
        Response page = Api.as(token).queryParam("limit", 2).get(path);
        page.then().statusCode(200).body("totalCount", equalTo(3)).body("limit", equalTo(2)).body("offset", equalTo(0))
                .body("workspaces.id", equalTo(List.of(third, second)));
        Api.as(token).queryParam("limit", 2).queryParam("offset", 2).get(path).then().statusCode(200)
                .body("workspaces.id", equalTo(List.of(first))).body("offset", equalTo(2));
        Api.as(token).get(path).then().statusCode(200).body("limit", equalTo(20))
                .body("workspaces.size()", equalTo(3));

        // Delete is the owner's deletion: 204, then gone from this API (restorable through Atrium's).
        Api.as(token).delete(path + "/" + first).then().statusCode(204);
        assertEquals(1, db.count("select count(*) from events where type = 'workspace.deleted' and workspace_id = $1",
                first));
        astronomerError(Api.as(token).get(path + "/" + first), 404);
        Api.as(token).get(path).then().statusCode(200).body("totalCount", equalTo(2))
                .body("workspaces.id", equalTo(List.of(third, second)));
    }

    @Test
    void refusalsAreAstronomerErrorsAndChangeNothing() {
        String ownerId = Tokens.unique("astro");
        String owner = Tokens.user(ownerId);
        String orgId = (String) Api.organization(owner, "Org").get("id");
        String path = BASE + "/organizations/" + orgId + "/workspaces";
        String id = create(owner, path, "Kept");

        astronomerError(given().filter(Contract.invalidRequest()).get(path), 401);
        Response unauthenticated = given().header("Authorization", "Bearer " + Tokens.signUntrusted(
                Tokens.userClaims(ownerId))).get(path + "/" + id);
        astronomerError(unauthenticated, 401);
        assertTrue(unauthenticated.header("WWW-Authenticate").startsWith("Bearer"));

        // A stranger: nothing of the organization exists for them.
        String stranger = Tokens.user(Tokens.unique("stranger"));
        astronomerError(Api.as(stranger).get(path), 404);
        astronomerError(Api.as(stranger).get(path + "/" + id), 404);
        astronomerError(Api.as(stranger).body(Map.of("name", "x")).post(path), 404);
        astronomerError(Api.as(stranger).body(Map.of("name", "x")).post(path + "/" + id), 404);
        astronomerError(Api.as(stranger).delete(path + "/" + id), 404);

        // A member of the organization lists, but does not create; a viewer of the workspace reads, not updates.
        String memberId = Tokens.unique("member");
        Api.as(owner).body(Map.of("role", "member")).put("/v1/organizations/" + orgId + "/members/" + memberId).then()
                .statusCode(200);
        String member = Tokens.user(memberId);
        Api.as(member).get(path).then().statusCode(200).body("totalCount", equalTo(1));
        astronomerError(Api.as(member).body(Map.of("name", "x")).post(path), 403);
        db.addMember(id, memberId, "viewer");
        Api.as(member).get(path + "/" + id).then().statusCode(200);
        astronomerError(Api.as(member).body(Map.of("name", "x")).post(path + "/" + id), 403);
        astronomerError(Api.as(member).delete(path + "/" + id), 403);

        // A workspace of another organization is not found under this one.
        String otherOrg = (String) Api.organization(owner, "Other").get("id");
        astronomerError(Api.as(owner).get(BASE + "/organizations/" + otherOrg + "/workspaces/" + id), 404);

        // Validation, in Atrium's limits.
        Response tooLong = Api.as(owner).filter(Contract.invalidRequest()).body(Map.of("name", "x".repeat(51)))
                .post(path);
        astronomerError(tooLong, 400);
        assertTrue(tooLong.<String>path("message").contains("name"), tooLong.asString());
        astronomerError(Api.as(owner).filter(Contract.invalidRequest()).body(Map.of("description", "no name"))
                .post(path), 400);
        astronomerError(Api.as(owner).filter(Contract.invalidRequest()).body(Map.of("name", "x", "unknown", 1))
                .post(path), 400);
        astronomerError(Api.as(owner).filter(Contract.invalidRequest()).queryParam("limit", 0).get(path), 400);
        astronomerError(Api.as(owner).filter(Contract.invalidRequest()).queryParam("sorts", "name:asc").get(path),
                400);

        // API keys stay in their own workspace's Atrium paths.
        Map<String, Object> ws = Api.activeWorkspace(owner);
        Api.as(Tokens.service("billing-service", "atrium:admin")).body(Map.of("plan", "team"))
                .patch("/v1/workspaces/" + ws.get("id")).then().statusCode(200);
        String key = Api.as(owner).body(Map.of("name", "k", "scopes", List.of("workspace:read", "workspace:update")))
                .post("/v1/workspaces/" + ws.get("id") + "/api-keys").then().statusCode(201).extract().path("secret");
        astronomerError(Api.as(key).get(path), 403);
        astronomerError(Api.as(key).get(path + "/" + id), 403);

        assertEquals(1, db.count("select count(*) from workspaces where organization_id = $1", orgId));
        Api.as(owner).get(path + "/" + id).then().statusCode(200).body("name", equalTo("Kept"));
    }

    @Test
    void aServiceWithTheWorkspaceScopesReadsAndUpdates() {
        String owner = Tokens.user(Tokens.unique("astro"));
        String orgId = (String) Api.organization(owner, "Org").get("id");
        String path = BASE + "/organizations/" + orgId + "/workspaces";
        String id = create(owner, path, "Service target");
        String reader = Tokens.service("billing-service", "atrium:workspaces:read");
        Api.as(reader).get(path).then().statusCode(200).body("totalCount", equalTo(1));
        Api.as(reader).get(path + "/" + id).then().statusCode(200);
        astronomerError(Api.as(reader).body(Map.of("name", "x")).post(path + "/" + id), 403);
        String writer = Tokens.service("billing-service", "atrium:workspaces:write");
        Api.as(writer).body(Map.of("description", "by a service")).post(path + "/" + id).then().statusCode(200)
                .body("description", equalTo("by a service")).body("updatedBy.subjectType", equalTo("SERVICEKEY"))
                .body("updatedBy.id", equalTo("billing-service"));
    }

    private static String create(String token, String path, String name) {
        return Api.as(token).body(Map.of("name", name)).post(path).then().statusCode(200).extract().path("id");
    }

    /** {@code {"message", "requestId", "statusCode"}} with the answer's status and request id. */
    static void astronomerError(Response r, int status) {
        r.then().statusCode(status).contentType("application/json").body("statusCode", equalTo(status))
                .body("requestId", equalTo(r.header("Request-Id")));
        Map<String, Object> body = r.jsonPath().getMap("");
        assertEquals(3, body.size(), r.asString());
        assertTrue(body.get("message") instanceof String message && !message.isBlank(), r.asString());
    }
}
