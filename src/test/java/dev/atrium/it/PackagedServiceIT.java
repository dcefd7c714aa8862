package dev.atrium.it;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

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
}
