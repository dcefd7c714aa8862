package dev.atrium.it;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;

import dev.atrium.support.Tokens;
import io.restassured.response.Response;
import io.smallrye.jwt.build.Jwt;

/**
 * The packaged service with a real identity provider in the loop: Keycloak (the distribution zip from Maven Central,
 * started by {@link Keycloak}) issues every token, and the cell is configured only through the README's environment
 * variables, trusting the realm's JWKS over https. The realm ({@code src/test/resources/keycloak/atrium-realm.json})
 * has the users alice and bob, a public client {@code atrium-cli} for them, and a confidential client
 * {@code billing-service} with a service account, the optional scopes {@code atrium:workspaces:write} and
 * {@code atrium:admin}, and the password grant enabled too (so a user token can carry the service's client id).
 * <p>
 * The cell reloads the realm's keys once a token names an unknown one, and treats its key set as stale after three
 * seconds (five minutes by default) so that the removal of a key shows within the test.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeycloakIT {

    static final String SERVICE_SECRET = "billing-service-secret";
    static final String WRITE = "atrium:workspaces:write";

    static Keycloak keycloak;
    static CellDatabase database;
    static PackagedCell cell;
    static long cellPid;
    static final java.security.KeyPair STRANGER = generate();
    static String aliceSub;

    @BeforeAll
    static void start() {
        keycloak = Keycloak.create("keycloak").start();
        database = CellDatabase.start("keycloak-cell");
        cell = PackagedCell.create("keycloak-cell", "us-east-1", database)
                .env("ATRIUM_JWT_ISSUER", keycloak.issuer())
                .env("ATRIUM_JWT_PUBLIC_KEY_LOCATION", keycloak.jwksUrl())
                .env("ATRIUM_JWT_AUDIENCE", "atrium")
                .env("ATRIUM_SERVICE_CLIENTS", "")
                .env("ATRIUM_SECURITY_SERVICE_LIST", "name=billing claims.client_id=billing-service")
                .env("ATRIUM_SECURITY_KEYS_MAX_AGE", "3s")
                .env("ATRIUM_SECURITY_KEYS_REFRESH_MIN_INTERVAL", "1s")
                .jvmOptions(keycloak.trustOptions().toArray(String[]::new));
        cell.start();
        cellPid = cell.pid();
        keycloak.awaitReady();
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] { cell, database, keycloak }) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the others
            }
        }
    }

    static String alice(String scope) {
        return keycloak.password("atrium-cli", null, "alice", "alice-password", scope);
    }

    static String service(String scope) {
        return keycloak.clientCredentials("billing-service", SERVICE_SECRET, scope);
    }

    @Test
    @Order(1)
    void aUserCreatesAWorkspace() {
        String token = alice("");
        aliceSub = Keycloak.claims(token).get("sub").asText();
        cell.as(token).get("/v1/me").then().statusCode(200).body("type", equalTo("user"))
                .body("id", equalTo(aliceSub)).body("email", equalTo("alice@example.com"))
                .body("email_verified", equalTo(true));
        Response r = cell.as(token).header("Prefer", "wait=10").body(Map.of("name", "Alice's")).post("/v1/workspaces");
        r.then().statusCode(201).body("status", equalTo("active")).body("created_by.id", equalTo(aliceSub))
                .body("created_by.subject_type", equalTo("USER"));
        assertEquals(1, database.count("select count(*) from workspace_members where workspace_id = ? and user_id = ?"
                + " and role = 'owner'", r.jsonPath().getString("id"), aliceSub));
    }

    @Test
    @Order(2)
    void theServiceWithTheWriteScopeCreatesAWorkspaceForThatUser() {
        String token = service(WRITE);
        JsonNode claims = Keycloak.claims(token);
        assertNotEquals("billing-service", claims.get("sub").asText(), "Keycloak's sub is the service account's id");
        assertEquals("billing-service", claims.get("client_id").asText());
        cell.as(token).get("/v1/me").then().statusCode(200).body("type", equalTo("service"))
                .body("id", equalTo("billing")).body("scopes", hasItem(WRITE));
        Response r = cell.as(token).header("Prefer", "wait=10").body(Map.of("name", "For Alice", "owner",
                Map.of("user_id", aliceSub, "email", "alice@example.com"))).post("/v1/workspaces");
        r.then().statusCode(201).body("created_by.subject_type", equalTo("SERVICE"))
                .body("created_by.id", equalTo("billing"));
        String id = r.jsonPath().getString("id");
        cell.as(alice("")).get("/v1/workspaces/" + id).then().statusCode(200).body("name", equalTo("For Alice"));
        assertEquals(1, database.count("select count(*) from workspace_members where workspace_id = ? and user_id = ?"
                + " and role = 'owner'", id, aliceSub));
    }

    @Test
    @Order(3)
    void theSameServiceWithoutTheScopeIs403() {
        String token = service("");
        assertFalse(Keycloak.claims(token).path("scope").asText().contains(WRITE));
        long before = database.count("select count(*) from workspaces");
        cell.as(token).body(Map.of("name", "Not allowed", "owner", Map.of("user_id", aliceSub, "email",
                "alice@example.com"))).post("/v1/workspaces").then().statusCode(403)
                .contentType("application/problem+json").body("code", equalTo("permission_denied"));
        assertEquals(before, database.count("select count(*) from workspaces"));
    }

    @Test
    @Order(4)
    void aUserTokenCarryingAtriumAdminGetsNoServiceRights() {
        String bob = keycloak.password("atrium-cli", null, "bob", "bob-password", "");
        Response created = cell.as(bob).header("Prefer", "wait=10").body(Map.of("name", "Bob's")).post("/v1/workspaces");
        created.then().statusCode(201);
        String bobs = created.jsonPath().getString("id");
        // Alice signs in through the service's own client and asks for atrium:admin: the token names the client in
        // azp and carries the scope, but it is hers, not the service account's.
        String token = keycloak.password("billing-service", SERVICE_SECRET, "alice", "alice-password",
                "atrium:admin " + WRITE);
        JsonNode claims = Keycloak.claims(token);
        assertEquals("billing-service", claims.get("azp").asText());
        assertTrue(claims.get("scope").asText().contains("atrium:admin"), claims.toString());
        cell.as(token).get("/v1/me").then().statusCode(200).body("type", equalTo("user"))
                .body("id", equalTo(aliceSub)).body("scopes.size()", equalTo(0));
        cell.as(token).get("/v1/workspaces/" + bobs).then().statusCode(404);
        cell.as(token).body(Map.of("status", "frozen", "reason", "not hers")).patch("/v1/workspaces/" + bobs + "/status")
                .then().statusCode(404);
        assertEquals("active", database.rows("select status from workspaces where id = ?", bobs).get(0)
                .get("status"));
        cell.as(token).get("/v1/events?limit=1").then().statusCode(403);
    }

    @Test
    @Order(5)
    void aRotatedRealmKeyIsTrustedWithoutRestartAndARemovedOneIsNot() {
        String before = service(WRITE);
        String oldKid = Keycloak.keyId(before);
        cell.as(before).get("/v1/me").then().statusCode(200).body("id", equalTo("billing"));

        keycloak.addSigningKey("rotated", 200);
        String after = service(WRITE);
        String newKid = Keycloak.keyId(after);
        assertNotEquals(oldKid, newKid, "Keycloak signs new tokens with the new key");
        cell.as(after).get("/v1/me").then().statusCode(200).body("id", equalTo("billing"));
        cell.as(before).get("/v1/me").then().statusCode(200); // the old key is still published

        keycloak.removeSigningKey(oldKid);
        assertFalse(keycloak.publishedKeyIds().contains(oldKid));
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        int status;
        do {
            sleep(1000);
            status = cell.as(before).get("/v1/me").statusCode();
        } while (status == 200 && Instant.now().isBefore(deadline));
        assertEquals(401, status, "a token signed by the removed key");
        cell.as(before).get("/v1/workspaces").then().statusCode(401).body("code", equalTo("unauthenticated"));
        cell.as(after).get("/v1/me").then().statusCode(200).body("id", equalTo("billing"));
        cell.as(service(WRITE)).get("/v1/me").then().statusCode(200);
        assertEquals(cellPid, cell.pid(), "the cell was not restarted");
        assertTrue(cell.isRunning());
    }

    @Test
    @Order(6)
    void aTokenNamingAKeyTheRealmNeverHadIs401Promptly() {
        var claims = Jwt.issuer(keycloak.issuer()).audience("atrium").subject("mallory")
                .claim("client_id", "billing-service").claim("scope", "atrium:admin").expiresIn(Duration.ofMinutes(5));
        for (String kid : List.of("never-seen-1", "never-seen-2", "never-seen-3")) {
            long started = System.nanoTime();
            String forged = claims.jws().keyId(kid).sign(STRANGER.getPrivate());
            cell.as(forged).get("/v1/me").then().statusCode(401).body("code", equalTo("unauthenticated"));
            long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
            assertTrue(millis < 5_000, kid + " took " + millis + " ms");
        }
        // Only a token of the realm gets in; a user token signed by another key with the realm's iss does not.
        cell.as(Tokens.sign(Tokens.userClaims("mallory").issuer(keycloak.issuer()), STRANGER.getPrivate()))
                .get("/v1/me").then().statusCode(401);
    }

    private static java.security.KeyPair generate() {
        try {
            java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
