package dev.atrium.common;

import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Db;
import dev.atrium.support.Metrics;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import jakarta.inject.Inject;

/**
 * Services as the test profile configures them (application.properties, {@code %test}): a second trusted issuer, a
 * Kubernetes cluster, whose service account {@code ci:runner} is the service {@code ci-runner} with configured scopes,
 * and a Keycloak-shaped service {@code reporting} of the user issuer, recognised by its {@code client_id} claim. Over
 * HTTP, on the running service, with tokens signed by each issuer's own key.
 */
@QuarkusTest
class ServiceIdentityTest {

    static final String CLUSTER = "https://kubernetes.default.svc.cluster.local";
    static final PrivateKey CLUSTER_KEY = clusterKey();

    @Inject
    Db db;

    static JwtClaimsBuilder serviceAccount(String namespace, String name) {
        return Jwt.issuer(CLUSTER).audience("atrium").subject("system:serviceaccount:" + namespace + ":" + name)
                .claim("kubernetes.io", Map.of("namespace", namespace, "serviceaccount",
                        Map.of("name", name, "uid", UUID.randomUUID().toString())))
                .expiresIn(Duration.ofMinutes(10));
    }

    static String signedByCluster(JwtClaimsBuilder claims) {
        return claims.jws().keyId("cluster-test-key-1").sign(CLUSTER_KEY);
    }

    /** A Keycloak client-credentials token: the service account's UUID as sub, the client in azp and client_id. */
    static String keycloakService(String client, String scope) {
        return Tokens.sign(Jwt.issuer(Tokens.ISSUER).audience(Tokens.AUDIENCE).subject(UUID.randomUUID().toString())
                .claim("azp", client).claim("client_id", client)
                .claim("preferred_username", "service-account-" + client).claim("scope", "profile " + scope)
                .expiresIn(Duration.ofMinutes(10)));
    }

    @Test
    void aKubernetesServiceAccountTokenIsTheConfiguredService() {
        String owner = Tokens.user(Tokens.unique("owner"));
        Map<String, Object> ws = Api.activeWorkspace(owner);
        String ci = signedByCluster(serviceAccount("ci", "runner"));
        Api.as(ci).get("/v1/me").then().statusCode(200)
                .body("type", equalTo("service"))
                .body("id", equalTo("ci-runner"))
                .body("scopes", containsInAnyOrder("atrium:workspaces:read", "atrium:events:read"));
        Api.as(ci).get("/v1/workspaces/" + ws.get("id")).then().statusCode(200).body("id", equalTo(ws.get("id")));
        Api.as(ci).get("/v1/events?limit=1").then().statusCode(200);
        Api.as(ci).body(Map.of("name", "Not allowed", "owner", Map.of("user_id", "u", "email", "u@example.com")))
                .post("/v1/workspaces").then().statusCode(403).body("code", equalTo("permission_denied"));
    }

    @Test
    void otherClusterTokensAreRefused() {
        assert401(signedByCluster(serviceAccount("default", "default")));
        assert401(signedByCluster(serviceAccount("ci", "runner").audience(CLUSTER)));
        // The cluster's subject signed by the user issuer is only a user, never the cluster's service.
        Api.as(Tokens.sign(serviceAccount("ci", "runner").issuer(Tokens.ISSUER))).get("/v1/me").then()
                .statusCode(200).body("type", equalTo("user")).body("scopes.size()", equalTo(0));
        // The cluster's issuer signed by the user issuer's key.
        assert401(Tokens.sign(serviceAccount("ci", "runner")));
    }

    @Test
    void aKeycloakServiceAccountOfTheUserIssuerIsRecognisedByClientId() {
        String ownerSub = Tokens.unique("client");
        Response r = Api.as(keycloakService("reporting", "atrium:workspaces:write"))
                .body(Map.of("name", "For a client", "owner", Map.of("user_id", ownerSub, "email",
                        ownerSub + "@example.com")))
                .post("/v1/workspaces");
        r.then().statusCode(202).body("created_by.subject_type", equalTo("SERVICE"))
                .body("created_by.id", equalTo("reporting"));
        assertEquals(1, db.rows("select role from workspace_members where workspace_id = $1 and user_id = $2"
                + " and role = 'owner'", r.jsonPath().getString("id"), ownerSub).size());
        Api.as(keycloakService("reporting", "")).body(Map.of("name", "No scope", "owner",
                Map.of("user_id", ownerSub, "email", ownerSub + "@example.com"))).post("/v1/workspaces").then()
                .statusCode(403);
    }

    @Test
    void aUserTokenIssuedToTheServicesClientIsAUser() {
        // azp names the service's client and the scopes ask for everything, but only a service account carries
        // client_id: a user, without scopes.
        String sub = Tokens.unique("alice");
        String token = Tokens.sign(Tokens.userClaims(sub).claim("azp", "reporting")
                .claim("scope", "atrium:admin atrium:workspaces:write"));
        Api.as(token).get("/v1/me").then().statusCode(200).body("type", equalTo("user")).body("id", equalTo(sub))
                .body("scopes.size()", equalTo(0));
        Map<String, Object> other = Api.activeWorkspace(Tokens.user(Tokens.unique("bob")));
        Api.as(token).get("/v1/workspaces/" + other.get("id")).then().statusCode(404);
    }

    @Test
    void aRepeatedTokenIsVerifiedOnceAndThenRemembered() {
        String token = keycloakService("reporting", "atrium:workspaces:read");
        double verified = metric("atrium_tokens_verified_total");
        double remembered = metric("atrium_tokens_remembered_total");
        for (int i = 0; i < 3; i++) {
            Api.as(token).get("/v1/me").then().statusCode(200).body("id", equalTo("reporting"));
        }
        assertEquals(verified + 1, metric("atrium_tokens_verified_total"));
        assertEquals(remembered + 2, metric("atrium_tokens_remembered_total"));
    }

    private static void assert401(String token) {
        Api.as(token).get("/v1/me").then().statusCode(401).contentType("application/problem+json")
                .header("WWW-Authenticate", "Bearer realm=\"atrium\", error=\"invalid_token\"")
                .body("code", equalTo("unauthenticated"));
    }

    private static double metric(String name) {
        List<String> lines = Metrics.scrape().lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .toList();
        assertEquals(1, lines.size(), name + ": " + lines);
        return Metrics.value(lines.get(0));
    }

    private static PrivateKey clusterKey() {
        try {
            String pem = Files.readString(Path.of("src/test/resources/keys/cluster-sa.key.pem"));
            byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
