package dev.atrium.common.security.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.atrium.common.security.SecurityConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * The trust configuration as an operator writes it: properties (a mounted ConfigMap) and environment variables (the
 * README's {@code ATRIUM_*}), read through SmallRye Config as the service reads them, and every mistake refused at
 * start with a message naming it.
 */
class TrustSettingsTest {

    private static final Map<String, String> BASE = Map.of(
            "atrium.security.user-issuer.issuer", "https://sso.example.com/realms/atrium",
            "atrium.security.user-issuer.keys", "https://sso.example.com/realms/atrium/protocol/openid-connect/certs");

    private static TrustSettings read(Map<String, String> properties, Map<String, String> env) {
        Map<String, String> all = new HashMap<>(BASE);
        all.putAll(properties);
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(SecurityConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter()) // "30s", as Quarkus reads it
                .withSources(new PropertiesConfigSource(all, "test", 100))
                .withSources(new EnvConfigSource(env, 300))
                .build();
        return TrustSettings.from(config.getConfigMapping(SecurityConfig.class));
    }

    private static TrustSettings read(Map<String, String> properties) {
        return read(properties, Map.of());
    }

    private static void refused(String why, Map<String, String> properties, Map<String, String> env) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> read(properties, env));
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    private static void refused(String why, Map<String, String> properties) {
        refused(why, properties, Map.of());
    }

    private static ServiceRule only(TrustSettings settings, String name) {
        List<ServiceRule> rules = settings.services().stream().filter(s -> s.name().equals(name)).toList();
        assertEquals(1, rules.size(), rules.toString());
        return rules.get(0);
    }

    @Test
    void defaultsAreTheUserIssuerAloneWithProductionLimits() {
        TrustSettings s = read(Map.of());
        assertEquals(1, s.issuers().size());
        TrustedIssuer users = s.userIssuer();
        assertEquals("users", users.name());
        assertEquals(List.of("atrium"), users.audiences());
        assertEquals(List.of("RS256"), users.algorithms());
        assertEquals(List.of(), s.services());
        assertEquals(Optional.empty(), s.maxTokenAge());
        assertEquals(Duration.ofSeconds(30), s.clockSkew());
        assertEquals(Duration.ofSeconds(10), s.keyRefreshMinInterval());
        assertEquals(10_000, s.cacheMaxEntries());
        assertTrue(s.cacheMaxTtl().compareTo(Duration.ofMinutes(5)) <= 0);
    }

    @Test
    void issuersAndServicesAsProperties() {
        TrustSettings s = read(Map.of(
                "atrium.security.issuers.cluster.issuer", "https://kubernetes.default.svc.cluster.local",
                "atrium.security.issuers.cluster.keys", "/etc/atrium/issuers/cluster/jwks.json",
                "atrium.security.issuers.cluster.algorithms", "RS256,ES256",
                "atrium.security.services.ci-runner.issuer", "cluster",
                "atrium.security.services.ci-runner.claims.sub", "system:serviceaccount:ci:runner",
                "atrium.security.services.ci-runner.scopes", "atrium:workspaces:read,atrium:events:read",
                "atrium.security.services.billing.claims.client_id", "billing-service",
                "atrium.security.max-token-age", "1h"));
        TrustedIssuer cluster = s.issuers().get(1);
        assertEquals("cluster", cluster.name());
        assertEquals(List.of("atrium"), cluster.audiences(), "audiences default to the user issuer's");
        assertEquals(List.of("RS256", "ES256"), cluster.algorithms());
        ServiceRule ci = only(s, "ci-runner");
        assertEquals("cluster", ci.issuer());
        assertEquals(Map.of("sub", "system:serviceaccount:ci:runner"), ci.claims());
        assertEquals(Optional.of(Set.of("atrium:workspaces:read", "atrium:events:read")), ci.scopes());
        ServiceRule billing = only(s, "billing");
        assertEquals("users", billing.issuer());
        assertEquals(Optional.empty(), billing.scopes());
        assertEquals(Optional.of(Duration.ofHours(1)), s.maxTokenAge());
    }

    @Test
    void issuersAndServicesAsEnvironmentVariables() {
        TrustSettings s = read(Map.of(), Map.of(
                "ATRIUM_SECURITY_ISSUER_LIST", "name=cluster issuer=https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"
                        + " keys=https://oidc.eks.eu-west-1.amazonaws.com/id/ABC/keys audiences=atrium",
                "ATRIUM_SECURITY_SERVICE_LIST", "name=billing claims.client_id=billing-service;"
                        + " name=ci-runner issuer=cluster claims.sub=system:serviceaccount:ci:runner"
                        + " scopes=atrium:workspaces:read,atrium:events:read\n"
                        + "name=auth0-billing claims.sub=Xk2billing@clients",
                "ATRIUM_SECURITY_MAX_TOKEN_AGE", "30m",
                "ATRIUM_SECURITY_TOKEN_CACHE_MAX_ENTRIES", "500"));
        assertEquals("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", s.issuers().get(1).issuer());
        assertEquals(Map.of("client_id", "billing-service"), only(s, "billing").claims());
        assertEquals(Optional.of(Set.of("atrium:workspaces:read", "atrium:events:read")), only(s, "ci-runner").scopes());
        assertEquals(Map.of("sub", "Xk2billing@clients"), only(s, "auth0-billing").claims());
        assertEquals(Optional.of(Duration.ofMinutes(30)), s.maxTokenAge());
        assertEquals(500, s.cacheMaxEntries());
    }

    @Test
    void theOlderServiceClientsKeepTheirMeaning() {
        TrustSettings s = read(Map.of(), Map.of("ATRIUM_SERVICE_CLIENTS", "billing-service,provisioner"));
        // Not mapped by name: application.properties reads the variable into atrium.security.service-clients.
        assertEquals(List.of(), s.services());
        TrustSettings mapped = read(Map.of("atrium.security.service-clients", "billing-service,provisioner"));
        List<ServiceRule> billing = mapped.services().stream().filter(r -> r.name().equals("billing-service")).toList();
        assertEquals(Set.of(Map.of("sub", "billing-service", "azp", "billing-service"),
                Map.of("sub", "billing-service", "client_id", "billing-service")),
                Set.copyOf(billing.stream().map(ServiceRule::claims).toList()));
    }

    @Test
    void mistakesStopTheCell() {
        refused("must be fetched over https", Map.of("atrium.security.user-issuer.keys", "http://sso/certs"));
        read(Map.of("atrium.security.user-issuer.keys", "http://sso/certs",
                "atrium.security.allow-insecure-key-urls", "true"));
        refused("names issuer 'cluster', which is not configured", Map.of(
                "atrium.security.services.ci.issuer", "cluster", "atrium.security.services.ci.claims.sub", "x"));
        refused("needs at least one claim", Map.of("atrium.security.services.ci.scopes", "atrium:admin"));
        refused("scopes must be among", Map.of("atrium.security.services.ci.claims.sub", "x",
                "atrium.security.services.ci.scopes", "atrium:workspace:write"));
        refused("both claim iss", Map.of("atrium.security.issuers.again.issuer",
                "https://sso.example.com/realms/atrium", "atrium.security.issuers.again.keys", "/k.pem"));
        refused("is defined twice", Map.of(), Map.of("ATRIUM_SECURITY_ISSUER_LIST",
                "name=users issuer=https://other keys=/k.pem"));
        refused("algorithms must be among", Map.of("atrium.security.issuers.c.issuer", "https://c",
                "atrium.security.issuers.c.keys", "/k.pem", "atrium.security.issuers.c.algorithms", "HS256"));
        refused("unknown setting 'claim.sub'", Map.of(), Map.of("ATRIUM_SECURITY_SERVICE_LIST",
                "name=ci claim.sub=x"));
        refused("expected key=value", Map.of(), Map.of("ATRIUM_SECURITY_SERVICE_LIST", "billing client_id=x"));
        refused("'keys' is required", Map.of(), Map.of("ATRIUM_SECURITY_ISSUER_LIST", "name=c issuer=https://c"));
        refused("service 'billing' is defined twice", Map.of("atrium.security.services.billing.claims.sub", "x"),
                Map.of("ATRIUM_SECURITY_SERVICE_LIST", "name=billing claims.sub=y"));
        refused("service 'billing-service' is defined twice", Map.of(
                "atrium.security.services.billing-service.claims.sub", "x",
                "atrium.security.service-clients", "billing-service"));
        refused("clock-skew must be between", Map.of("atrium.security.clock-skew", "60s"));
        refused("max-token-age must be positive", Map.of("atrium.security.max-token-age", "0s"));
        refused("a name is lower-case", Map.of("atrium.security.issuers.\"Cluster\".issuer", "https://c",
                "atrium.security.issuers.\"Cluster\".keys", "/k.pem"));
    }
}
