package dev.atrium.common;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.atrium.common.web.AuthFailureHandoff;
import dev.atrium.support.Api;
import dev.atrium.support.AuthFailureHandlerProbe;
import dev.atrium.support.Contract;
import dev.atrium.support.Metrics;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/** What every response shares: problem bodies for every refusal, request ids, the cell header, size limits. */
@QuarkusTest
class HttpContractTest {

    @Test
    void everyResponseCarriesRequestIdAndRegion() {
        given().get("/q/openapi").then().statusCode(200)
                .header("Request-Id", matchesPattern("req_[0-9a-f]{32}"))
                .header("X-Atrium-Region", "us-east-1");
        given().header("Request-Id", "client-chosen.42").get("/v1/workspaces").then().statusCode(401)
                .header("Request-Id", "client-chosen.42")
                .body("request_id", equalTo("client-chosen.42"));
    }

    @Test
    void aRequestIdThatCouldInjectIsReplaced() {
        given().header("Request-Id", "bad id with spaces").get("/q/openapi").then()
                .header("Request-Id", startsWith("req_"));
    }

    @Test
    void unknownPathIsProblem404() {
        String token = Tokens.user(Tokens.unique("u"));
        Api.as(token).filter(Contract.invalidRequest()).get("/v1/nothing-here").then().statusCode(404)
                .contentType("application/problem+json")
                .body("code", equalTo("not_found"))
                .body("type", equalTo("https://atrium.dev/problems/not_found"))
                .body("status", equalTo(404));
    }

    @Test
    void wrongMethodIs405WithAllow() {
        String token = Tokens.user(Tokens.unique("u"));
        Api.as(token).filter(Contract.invalidRequest()).delete("/v1/organizations").then().statusCode(405)
                .contentType("application/problem+json")
                .header("Allow", containsString("GET"))
                .header("Allow", containsString("POST"))
                .body("code", equalTo("method_not_allowed"));
    }

    @Test
    void unsupportedAcceptIs406() {
        String token = Tokens.user(Tokens.unique("u"));
        given().header("Authorization", "Bearer " + token).accept("text/csv").get("/v1/workspaces").then()
                .statusCode(406).body("code", equalTo("not_acceptable"));
    }

    @Test
    void wrongContentTypeIs415() {
        String token = Tokens.user(Tokens.unique("u"));
        given().filter(Contract.invalidRequest()).header("Authorization", "Bearer " + token)
                .contentType(ContentType.TEXT).body("name=x").post("/v1/workspaces").then().statusCode(415)
                .contentType("application/problem+json")
                .body("code", equalTo("unsupported_media_type"));
    }

    @Test
    void malformedJsonIs400() {
        String token = Tokens.user(Tokens.unique("u"));
        Api.as(token).filter(Contract.invalidRequest()).body("{\"name\": ").post("/v1/workspaces").then().statusCode(400)
                .body("code", equalTo("malformed_json"));
    }

    @Test
    void unknownFieldIs400NamingTheField() {
        String token = Tokens.user(Tokens.unique("u"));
        Api.as(token).filter(Contract.invalidRequest()).body(Map.of("name", "x", "colour", "blue")).post("/v1/workspaces").then().statusCode(400)
                .body("code", equalTo("validation_failed"))
                .body("errors.field", hasItem("colour"));
    }

    @Test
    void wrongTypeIs400NamingTheField() {
        String token = Tokens.user(Tokens.unique("u"));
        Api.as(token).filter(Contract.invalidRequest()).body(Map.of("name", 42)).post("/v1/workspaces").then().statusCode(400)
                .body("code", equalTo("validation_failed"))
                .body("errors.field", hasItem("name"));
        Api.as(token).filter(Contract.invalidRequest()).body(Map.of("metadata", Map.of("team", 7))).post("/v1/workspaces").then().statusCode(400)
                .body("errors.field", hasItem("metadata.team"));
    }

    @Test
    void bodyOver64KiBIs413() {
        String token = Tokens.user(Tokens.unique("u"));
        String big = "{\"name\":\"" + "x".repeat(70 * 1024) + "\"}";
        Api.as(token).filter(Contract.invalidRequest()).body(big).post("/v1/workspaces").then().statusCode(413)
                .contentType("application/problem+json")
                .body("code", equalTo("payload_too_large"));
    }

    @Test
    void limitOutOfRangeIs400() {
        String token = Tokens.user(Tokens.unique("u"));
        for (String limit : new String[] { "0", "1001", "ten", "-1" }) {
            Api.as(token).filter(Contract.invalidRequest()).queryParam("limit", limit).get("/v1/workspaces").then().statusCode(400)
                    .body("code", equalTo("validation_failed"))
                    .body("errors.field", hasItem("limit"));
        }
    }

    @Test
    void badCursorIs400() {
        String token = Tokens.user(Tokens.unique("u"));
        Api.as(token).queryParam("cursor", "not-a-cursor!").get("/v1/workspaces").then().statusCode(400)
                .body("code", equalTo("invalid_cursor"));
    }

    @Test
    void problemBodiesNeverLeakInternals() {
        String token = Tokens.user(Tokens.unique("u"));
        String body = Api.as(token).filter(Contract.invalidRequest()).body("[1,2,3]").post("/v1/workspaces").then().statusCode(400)
                .extract().asString();
        org.hamcrest.MatcherAssert.assertThat(body, not(containsString("Exception")));
        org.hamcrest.MatcherAssert.assertThat(body, not(containsString("dev.atrium")));
    }

    @Test
    void theDevTokenEndpointExistsOnlyInDevMode() {
        given().get("/dev/token").then().statusCode(404);
    }

    @Test
    void workspaceCreationsAreCounted() {
        String token = Tokens.user(Tokens.unique("metric"));
        double before = createdCounter();
        Api.as(token).body(Map.of()).post("/v1/workspaces").then().statusCode(202);
        assertEquals(before + 1, createdCounter(), 0.0001);
        Api.management().get("/q/metrics").then().body(containsString("http_server_requests_seconds_count"));
    }

    @Test
    void refusedRequestsAreCountedUnderTheirRouteTemplateNotTheirPath() {
        // Authentication is refused inside the REST layer; the request metric must still name the route, not the path
        // the client sent (which would make one time series per id).
        String orgId = "org_" + Tokens.unique("metricpath").replaceAll("[^a-z0-9]", "");
        String path = "/v1/organizations/" + orgId + "/members";
        double before = requestCount("/v1/organizations/{org_id}/members", "401");
        given().get(path).then().statusCode(401).contentType("application/problem+json");
        given().auth().oauth2("not.a.token").get(path).then().statusCode(401)
                .contentType("application/problem+json").body("code", equalTo("unauthenticated"));
        assertEquals(before + 2,
                requestCount("/v1/organizations/{org_id}/members", "401"), 0.0001);
        Api.management().get("/q/metrics").then().body(not(containsString(orgId)));
    }

    @Test
    void atriumHandsAuthFailuresToTheRestLayerBeforeQuarkusRestDoes() {
        // Quarkus REST's own hand-over maps the path a second time on every request; Atrium's, run first, spares it.
        // Nothing a client sees differs, so the order is checked where it happens.
        String probe = Tokens.unique("probe");
        Api.as(Tokens.user(Tokens.unique("u"))).header(AuthFailureHandlerProbe.HEADER, probe).get("/v1/me").then()
                .statusCode(200);
        String handler = AuthFailureHandlerProbe.seen(probe);
        assertTrue(
                handler != null && handler.startsWith(AuthFailureHandoff.class.getName() + "$$Lambda"),
                "the request's auth failure handler: " + handler);
    }

    private static double requestCount(String uri, String status) {
        return Metrics.sum(l -> l.startsWith("http_server_requests_seconds_count{") && l.contains("uri=\"" + uri + "\"")
                && l.contains("status=\"" + status + "\""));
    }

    private static double createdCounter() {
        return Metrics.sum(l -> l.startsWith("atrium_workspaces_created_total"));
    }

    @Test
    void healthAndMetricsOnTheManagementPortOpenApiOnThePublicOne() {
        Api.management().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        Api.management().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        Api.management().get("/q/health/started").then().statusCode(200);
        Api.management().get("/q/metrics").then().statusCode(200).body(containsString("atrium_workspaces"));
        given().accept("application/json").get("/q/openapi").then().statusCode(200)
                .body("components.securitySchemes.jwt.scheme", equalTo("bearer"))
                .body("components.securitySchemes.api_key.scheme", equalTo("bearer"))
                .body("paths.'/v1/workspaces'.post.operationId", equalTo("createWorkspace"));
        // Swagger UI is a dev and test convenience on the public port; production builds leave it out.
        given().get("/q/swagger-ui/").then().statusCode(200);
        for (String path : new String[] { "/q/health", "/q/health/ready", "/q/health/live", "/q/metrics" }) {
            given().get(path).then().statusCode(404);
        }
        Api.management().get("/q/openapi").then().statusCode(404);
        Api.management().get("/v1/regions").then().statusCode(404);
    }
}
