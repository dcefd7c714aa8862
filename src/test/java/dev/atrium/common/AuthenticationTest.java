package dev.atrium.common;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.jwt.build.Jwt;

/** Every way a bearer token can be wrong is a 401 problem with a challenge, on every kind of endpoint. */
@QuarkusTest
class AuthenticationTest {

    private static final String[] PATHS = { "/v1/me", "/v1/workspaces", "/v1/organizations", "/v1/regions" };

    private static void assert401(String authorization) {
        for (String path : PATHS) {
            var req = given();
            if (authorization != null) {
                req = req.header("Authorization", authorization);
            }
            req.get(path).then().statusCode(401)
                    .contentType("application/problem+json")
                    .header("WWW-Authenticate", startsWith("Bearer"))
                    .body("code", equalTo("unauthenticated"))
                    .body("status", equalTo(401));
        }
    }

    @Test
    void noToken() {
        assert401(null);
        given().contentType("application/json").body("{}").post("/v1/workspaces").then().statusCode(401)
                .body("code", equalTo("unauthenticated"));
    }

    @Test
    void invalidTokens() {
        String sub = Tokens.unique("mallory");
        assert401("Bearer " + Tokens.expired(sub));
        assert401("Bearer " + Tokens.sign(Tokens.userClaims(sub).issuer("https://evil.example")));
        assert401("Bearer " + Tokens.sign(Tokens.userClaims(sub).audience("someone-else")));
        assert401("Bearer " + Tokens.signUntrusted(Tokens.userClaims(sub)));
        assert401("Bearer " + Tokens.unsigned(sub));
        assert401("Bearer not.a.jwt");
        assert401("Basic dXNlcjpwYXNz");
    }

    @Test
    void challengeSaysInvalidTokenWhenOneWasSent() {
        given().header("Authorization", "Bearer " + Tokens.expired("x")).get("/v1/me").then()
                .header("WWW-Authenticate", "Bearer realm=\"atrium\", error=\"invalid_token\"");
    }

    @Test
    void tokenWithoutExpiryIsRefused() {
        long now = System.currentTimeMillis() / 1000;
        String withExp = Tokens.signRaw("{\"iss\":\"" + Tokens.ISSUER + "\",\"aud\":\"atrium\",\"sub\":\"raw\",\"iat\":" + now + ",\"exp\":"
                + (now + 300) + "}");
        given().header("Authorization", "Bearer " + withExp).get("/v1/me").then().statusCode(200);
        String noExp = Tokens.signRaw("{\"iss\":\"" + Tokens.ISSUER + "\",\"aud\":\"atrium\",\"sub\":\"raw\",\"iat\":" + now + "}");
        given().header("Authorization", "Bearer " + noExp).get("/v1/me").then().statusCode(401);
    }

    @Test
    void meDescribesUsersAndServices() {
        String sub = Tokens.unique("meg");
        Api.as(Tokens.user(sub)).get("/v1/me").then().statusCode(200)
                .body("type", equalTo("user"))
                .body("id", equalTo(sub))
                .body("email", equalTo(sub + "@example.com"))
                .body("platform_admin", equalTo(false))
                .body("organizations.size()", equalTo(1))
                .body("organizations[0].personal", equalTo(true))
                .body("organizations[0].role", equalTo("owner"));
        Api.as(Tokens.service("billing-service", "atrium:workspaces:read")).get("/v1/me").then().statusCode(200)
                .body("type", equalTo("service"))
                .body("scopes[0]", equalTo("atrium:workspaces:read"));
        Api.as(Tokens.platformAdmin(Tokens.unique("root"))).get("/v1/me").then().statusCode(200)
                .body("platform_admin", equalTo(true));
    }

    @Test
    void aClientOutsideTheAllowListIsAnOrdinaryUser() {
        String token = Tokens.service("not-allow-listed", "atrium:admin");
        Api.as(token).get("/v1/me").then().statusCode(200).body("type", equalTo("user"))
                .body("scopes.size()", equalTo(0));
    }

    @Test
    void userTokenWithAdminScopeGetsNoServiceRights() {
        String owner = Tokens.user(Tokens.unique("owner"));
        Map<String, Object> ws = Api.activeWorkspace(owner);
        String sneaky = Tokens.sign(Tokens.userClaims(Tokens.unique("sneaky")).claim("scope",
                "atrium:admin atrium:workspaces:read atrium:workspaces:write"));
        Api.as(sneaky).get("/v1/workspaces/" + ws.get("id")).then().statusCode(404);
        Api.as(sneaky).body(Map.of("status", "frozen", "reason", "x"))
                .patch("/v1/workspaces/" + ws.get("id") + "/status").then().statusCode(404);
        // The same claims from an allow-listed service do work.
        Api.as(Tokens.service("provisioner", "atrium:admin")).get("/v1/workspaces/" + ws.get("id")).then()
                .statusCode(200);
    }

    @Test
    void serviceSubjectMustEqualItsClient() {
        String impostor = Tokens.sign(Jwt.issuer(Tokens.ISSUER).audience(Tokens.AUDIENCE).subject("someone")
                .claim("azp", "billing-service").claim("scope", "atrium:admin").expiresIn(Duration.ofMinutes(5)));
        Api.as(impostor).get("/v1/me").then().statusCode(200).body("type", equalTo("user"));
    }
}
