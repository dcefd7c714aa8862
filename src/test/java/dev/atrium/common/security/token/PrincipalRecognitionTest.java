package dev.atrium.common.security.token;

import static dev.atrium.common.security.token.Fixtures.issuer;
import static dev.atrium.common.security.token.Fixtures.service;
import static dev.atrium.common.security.token.Fixtures.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.atrium.common.security.Principal;

/**
 * Who a real identity provider's token is, as Atrium sees it: the claim shapes that Okta, Auth0, Entra ID, Keycloak
 * and Kubernetes put in client-credentials (or service-account) tokens and in their users' tokens, signed with test
 * keys and verified as production verifies them. No Quarkus: verifier, keys and clock are built here.
 */
class PrincipalRecognitionTest {

    private static final String WRITE = "atrium:workspaces:write";
    private static final String READ = "atrium:workspaces:read";
    private static final String EVENTS = "atrium:events:read";
    private static final String ADMIN = "atrium:admin";

    // ---------------------------------------------------------------- Okta

    // Issuers (and their RSA keys) are made once for the class; each test gets its own verifier and cache.
    private static final TestIssuer okta = new TestIssuer("https://acme.okta.com/oauth2/default");
    private final Fixtures.Harness oktaCell = new Fixtures.Harness(settings(
            List.of(issuer("users", okta, "api://atrium")),
            List.of(service("billing", "users", Map.of("sub", "0oa1billing", "cid", "0oa1billing")))),
            Map.of("users", okta));

    @Test
    void oktaClientCredentialsTokenIsTheServiceWithItsScpScopes() {
        Principal p = oktaCell.verify(okta.sign(okta.claims("api://atrium", oktaCell.now(), Map.of(
                "ver", 1, "jti", "AT.1", "cid", "0oa1billing", "sub", "0oa1billing",
                "scp", List.of(WRITE)))));
        assertTrue(p.isService());
        assertEquals("billing", p.id());
        assertEquals(Set.of(WRITE), p.scopes());
    }

    @Test
    void oktaUserWhoseSubjectHappensToEqualTheClientIdIsAUser() {
        // A user whose login is the client id, signed in through the web app: sub matches, cid does not.
        Principal p = oktaCell.verify(okta.sign(okta.claims("api://atrium", oktaCell.now(), Map.of(
                "ver", 1, "cid", "0oa1webapp", "uid", "00u1mallory", "sub", "0oa1billing",
                "scp", List.of("openid", ADMIN)))));
        assertTrue(p.isUser());
        assertEquals("0oa1billing", p.id());
        assertEquals(Set.of(), p.scopes());
        assertFalse(p.hasScope(ADMIN));
    }

    // ---------------------------------------------------------------- Auth0

    private static final TestIssuer auth0 = new TestIssuer("https://acme.eu.auth0.com/");
    private final Fixtures.Harness auth0Cell = new Fixtures.Harness(settings(
            List.of(issuer("users", auth0, "https://api.atrium.example")),
            List.of(service("billing", "users", Map.of("sub", "Xk2billing@clients")))),
            Map.of("users", auth0));

    @Test
    void auth0MachineToMachineTokenIsTheService() {
        Principal p = auth0Cell.verify(auth0.sign(auth0.claims("https://api.atrium.example", auth0Cell.now(), Map.of(
                "sub", "Xk2billing@clients", "azp", "Xk2billing", "gty", "client-credentials",
                "scope", WRITE + " " + READ))));
        assertTrue(p.isService());
        assertEquals("billing", p.id());
        assertEquals(Set.of(WRITE, READ), p.scopes());
    }

    @Test
    void auth0UserSignedInThroughTheServicesOwnApplicationIsAUser() {
        // Same azp as the service (the user signed in with that application), scopes asking for everything.
        Principal p = auth0Cell.verify(auth0.sign(auth0.claims("https://api.atrium.example", auth0Cell.now(), Map.of(
                "sub", "auth0|65f0alice", "azp", "Xk2billing", "scope", "openid profile email " + ADMIN,
                "email", "alice@example.com", "email_verified", true))));
        assertTrue(p.isUser());
        assertEquals("auth0|65f0alice", p.id());
        assertEquals("alice@example.com", p.email());
        assertTrue(p.emailVerified());
        assertEquals(Set.of(), p.scopes());
    }

    // ---------------------------------------------------------------- Entra ID

    private static final String ENTRA_API = "6e74172b-be56-4843-9ff4-e66a39bb12e3";
    private static final String BILLING_APP = "0c8e2b1d-9a3f-4c1e-8d7b-2f6a5e4d3c2b";
    private static final String BILLING_SP = "7f4f0a8e-4b1c-4d2e-9f3a-1b2c3d4e5f60";
    private static final TestIssuer entra = new TestIssuer(
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0");
    private final Fixtures.Harness entraCell = new Fixtures.Harness(settings(
            List.of(issuer("users", entra, ENTRA_API)),
            List.of(service("billing", "users", Map.of("sub", BILLING_SP, "azp", BILLING_APP), WRITE))),
            Map.of("users", entra));

    @Test
    void entraAppOnlyTokenIsTheServiceWithItsConfiguredScopes() {
        // Application permissions arrive as roles, which Atrium does not read: the service's scopes are configured.
        Principal p = entraCell.verify(entra.sign(entra.claims(ENTRA_API, entraCell.now(), Map.of(
                "azp", BILLING_APP, "azpacr", "1", "idtyp", "app", "oid", BILLING_SP, "sub", BILLING_SP,
                "roles", List.of("Atrium.Admin"), "tid", "72f988bf-86f1-41af-91ab-2d7cd011db47", "ver", "2.0"))));
        assertTrue(p.isService());
        assertEquals("billing", p.id());
        assertEquals(Set.of(WRITE), p.scopes());
    }

    @Test
    void entraUserTokenFromTheSameClientApplicationIsAUser() {
        Principal p = entraCell.verify(entra.sign(entra.claims(ENTRA_API, entraCell.now(), Map.of(
                "azp", BILLING_APP, "oid", "d1e2f3a4-0000-4000-8000-00000000a11c",
                "sub", "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "scp", ADMIN + " " + WRITE,
                "name", "Alice", "preferred_username", "alice@example.com", "ver", "2.0"))));
        assertTrue(p.isUser());
        assertEquals(Set.of(), p.scopes());
    }

    // ---------------------------------------------------------------- Keycloak

    private static final TestIssuer keycloak = new TestIssuer("https://sso.example.com/realms/atrium");
    private final Fixtures.Harness keycloakCell = new Fixtures.Harness(settings(
            List.of(issuer("users", keycloak, "atrium")),
            List.of(service("billing", "users", Map.of("client_id", "billing-service")))),
            Map.of("users", keycloak));

    @Test
    void keycloakServiceAccountTokenIsTheService() {
        Principal p = keycloakCell.verify(keycloak.sign(keycloak.claims("atrium", keycloakCell.now(), Map.of(
                "sub", "c9d1ac07-ad2d-4e54-badf-1772692f7b29", "azp", "billing-service", "client_id",
                "billing-service", "preferred_username", "service-account-billing-service", "typ", "Bearer",
                "scope", "profile " + WRITE))));
        assertTrue(p.isService());
        assertEquals("billing", p.id());
        assertEquals(Set.of("profile", WRITE), p.scopes());
        assertTrue(p.hasScope(WRITE));
    }

    @Test
    void keycloakUserTokenIssuedToTheServicesClientIsAUserWithoutScopes() {
        Principal p = keycloakCell.verify(keycloak.sign(keycloak.claims("atrium", keycloakCell.now(), Map.of(
                "sub", "e79045bd-6bcb-4884-aeeb-2cd857561e3a", "azp", "billing-service", "scope", ADMIN + " profile",
                "preferred_username", "alice", "email", "alice@example.com", "email_verified", true,
                "groups", List.of("platform-admin")))));
        assertTrue(p.isUser());
        assertEquals(Set.of(), p.scopes());
        assertFalse(p.hasScope(ADMIN));
        assertTrue(p.platformAdmin(), "groups from the user issuer make a platform admin");
    }

    // ---------------------------------------------------------------- Kubernetes, beside a user issuer

    private static final String CLUSTER = "https://kubernetes.default.svc.cluster.local";
    private static final TestIssuer users = new TestIssuer("https://auth.atrium.example");
    private static final TestIssuer cluster = new TestIssuer(CLUSTER);
    private static final TestIssuer stranger = new TestIssuer("https://evil.example");
    private final Fixtures.Harness cell = new Fixtures.Harness(settings(
            List.of(issuer("users", users, "atrium"), issuer("cluster", cluster, "atrium")),
            List.of(service("ci-runner", "cluster", Map.of("sub", "system:serviceaccount:ci:runner"), READ, EVENTS),
                    service("billing", "users", Map.of("client_id", "billing-service")))),
            Map.of("users", users, "cluster", cluster));

    private Map<String, Object> serviceAccount(String namespace, String name) {
        return Map.of("sub", "system:serviceaccount:" + namespace + ":" + name, "nbf", cell.now().getEpochSecond(),
                "kubernetes.io", Map.of("namespace", namespace,
                        "serviceaccount", Map.of("name", name, "uid", "1f2e3d4c-0000-4000-8000-000000000001"),
                        "pod", Map.of("name", name + "-7d9f8", "uid", "5a6b7c8d-0000-4000-8000-000000000002")));
    }

    @Test
    void kubernetesProjectedServiceAccountTokenIsTheServiceWithConfiguredScopes() {
        Principal p = cell.verify(cluster.sign(cluster.claims("atrium", cell.now(), serviceAccount("ci", "runner"))));
        assertTrue(p.isService());
        assertEquals("ci-runner", p.id());
        assertEquals(Set.of(READ, EVENTS), p.scopes());
    }

    @Test
    void anUnconfiguredServiceAccountIsRefusedNotAUser() {
        String token = cluster.sign(cluster.claims("atrium", cell.now(), serviceAccount("default", "default")));
        TokenRefused e = assertThrows(TokenRefused.class, () -> cell.verify(token));
        assertTrue(e.getMessage().contains("no configured service of issuer 'cluster'"), e.getMessage());
    }

    @Test
    void aServiceAccountTokenForTheApiServerAudienceIsRefused() {
        String token = cluster.sign(cluster.claims(CLUSTER, cell.now(), serviceAccount("ci", "runner")));
        assertThrows(TokenRefused.class, () -> cell.verify(token));
    }

    @Test
    void theServiceAccountSubjectFromTheUserIssuerIsOnlyAUser() {
        // Rules are bound to their issuer: the user IdP cannot mint the cluster's service.
        Principal p = cell.verify(users.sign(users.claims("atrium", cell.now(), serviceAccount("ci", "runner"))));
        assertTrue(p.isUser());
        assertEquals(Set.of(), p.scopes());
    }

    @Test
    void aTokenNamingTheClusterButSignedByTheUserIssuerIsRefused() {
        var claims = cluster.claims("atrium", cell.now(), serviceAccount("ci", "runner"));
        assertThrows(TokenRefused.class, () -> cell.verify(TestIssuer.sign(claims, users.current())));
    }

    @Test
    void anUntrustedIssuerWithATrustedClientIsRefused() {
        String token = stranger.sign(stranger.claims("atrium", cell.now(), Map.of("sub", "svc", "azp",
                "billing-service", "client_id", "billing-service", "scope", ADMIN)));
        TokenRefused e = assertThrows(TokenRefused.class, () -> cell.verify(token));
        assertEquals("untrusted issuer", e.getMessage());
    }

    @Test
    void theStrangersKeysCannotSignForATrustedIssuer() {
        String token = TestIssuer.sign(users.claims("atrium", cell.now(), Map.of("sub", "svc", "client_id",
                "billing-service", "scope", ADMIN)), stranger.current());
        assertThrows(TokenRefused.class, () -> cell.verify(token));
    }

    @Test
    void aTokenTwoServicesClaimIsRefused() {
        Fixtures.Harness ambiguous = new Fixtures.Harness(settings(List.of(issuer("users", users, "atrium")),
                List.of(service("a", "users", Map.of("azp", "shared")), service("b", "users", Map.of("sub", "x")))),
                Map.of("users", users));
        String token = users.sign(users.claims("atrium", ambiguous.now(), Map.of("sub", "x", "azp", "shared")));
        TokenRefused e = assertThrows(TokenRefused.class, () -> ambiguous.verify(token));
        assertTrue(e.getMessage().contains("all recognise one token"), e.getMessage());
    }

    @Test
    void aClaimMustHaveExactlyTheConfiguredValue() {
        for (Object wrong : List.of("billing-service ", "Billing-Service", List.of("billing-service"),
                Map.of("id", "billing-service"))) {
            Principal p = cell.verify(users.sign(users.claims("atrium", cell.now(), Map.of("sub", "u1", "client_id",
                    wrong))));
            assertTrue(p.isUser(), () -> "client_id " + wrong);
        }
    }
}
