package dev.atrium.common.security.token;

import java.time.Instant;

import org.jboss.logging.Logger;

import dev.atrium.common.security.Principal;
import dev.atrium.common.security.SecurityConfig;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

/**
 * Authenticates bearer JWTs with {@link TokenVerifier}, against every trusted issuer at once, and hands Atrium's
 * principal to the request as the identity's {@link Principal#IDENTITY_ATTRIBUTE}. Created at start, so a trust
 * configuration that does not hold together stops the cell before it takes traffic.
 */
@Startup
// A singleton: on every request's path, called directly rather than through a client proxy.
@Singleton
public class TokenIdentityProvider implements IdentityProvider<BearerTokenRequest> {

    private static final Logger LOG = Logger.getLogger(TokenIdentityProvider.class);

    private final TokenVerifier verifier;
    private final HttpClient http;

    public TokenIdentityProvider(SecurityConfig config, Vertx vertx, MeterRegistry registry) {
        TrustSettings settings = TrustSettings.from(config);
        this.http = KeySource.client(vertx, settings.keyFetchTimeout());
        this.verifier = new TokenVerifier(settings,
                issuer -> KeySource.of(issuer.keys(), vertx, http, settings.keyFetchTimeout()), Instant::now);
        FunctionCounter.builder("atrium.tokens.verified", verifier, TokenVerifier::verifiedCount)
                .description("Bearer JWTs whose signature and claims were checked").register(registry);
        FunctionCounter.builder("atrium.tokens.remembered", verifier, TokenVerifier::rememberedCount)
                .description("Bearer JWTs answered from the verified-token cache").register(registry);
        FunctionCounter.builder("atrium.tokens.refused", verifier, TokenVerifier::refusedCount)
                .description("Bearer JWTs refused").register(registry);
        Gauge.builder("atrium.tokens.cache.size", verifier, TokenVerifier::rememberedTokens)
                .description("Verified tokens held in the cache").register(registry);
        for (TrustedIssuer issuer : settings.issuers()) {
            FunctionCounter.builder("atrium.tokens.key.loads", verifier, v -> v.keyLoads().get(issuer.name())[0])
                    .tag("issuer", issuer.name()).tag("outcome", "loaded").register(registry);
            FunctionCounter.builder("atrium.tokens.key.loads", verifier, v -> v.keyLoads().get(issuer.name())[1])
                    .tag("issuer", issuer.name()).tag("outcome", "failed").register(registry);
        }
        LOG.infof("Trusting %d issuer(s) %s and %d service rule(s)", settings.issuers().size(),
                settings.issuers().stream().map(TrustedIssuer::name).toList(), settings.services().size());
        verifier.preload();
    }

    @Override
    public Class<BearerTokenRequest> getRequestType() {
        return BearerTokenRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(BearerTokenRequest request, AuthenticationRequestContext context) {
        return verifier.verify(request.token())
                .map(principal -> (SecurityIdentity) QuarkusSecurityIdentity.builder()
                        .setPrincipal(new QuarkusPrincipal(principal.id()))
                        .addAttribute(Principal.IDENTITY_ATTRIBUTE, principal)
                        .build())
                .onFailure().transform(e -> {
                    LOG.debugf("Bearer token refused: %s", e.getMessage());
                    return new AuthenticationFailedException();
                });
    }

    @PreDestroy
    void close() {
        http.close();
    }
}
