package dev.atrium.apikey;

import java.util.Set;

import dev.atrium.common.security.token.BearerTokenRequest;
import dev.atrium.common.security.token.TokenIdentityProvider;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.smallrye.jwt.runtime.auth.JWTAuthMechanism;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.HttpCredentialTransport;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Singleton;

/**
 * The one reader of {@code Authorization: Bearer}. Two mechanisms that both read the bearer token do not chain (a
 * failed JWT check ends authentication), so this one decides: {@code atr_} tokens go to the API-key identity
 * provider, every other bearer token to Atrium's own JWT verification ({@link TokenIdentityProvider}, which knows
 * every trusted issuer). It runs before SmallRye's JWT mechanism, which then only ever sees requests without a bearer
 * token and leaves them anonymous.
 */
// A singleton: on every request's path, called directly rather than through a client proxy.
@Singleton
public class BearerAuthMechanism implements HttpAuthenticationMechanism {

    private final JWTAuthMechanism jwt;

    public BearerAuthMechanism(JWTAuthMechanism jwt) {
        this.jwt = jwt;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identityProviderManager) {
        String authorization = context.request().getHeader(HttpHeaders.AUTHORIZATION);
        String key = ApiKeyFormat.bearerKey(authorization);
        if (key != null) {
            return identityProviderManager.authenticate(
                    HttpSecurityUtils.setRoutingContextAttribute(new ApiKeyAuthenticationRequest(key), context));
        }
        String token = bearerToken(authorization);
        if (token == null) {
            return jwt.authenticate(context, identityProviderManager);
        }
        return identityProviderManager.authenticate(
                HttpSecurityUtils.setRoutingContextAttribute(new BearerTokenRequest(token), context));
    }

    private static String bearerToken(String authorization) {
        if (authorization == null || authorization.length() < 7
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return authorization.substring(7).trim();
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return jwt.getChallenge(context);
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(TokenAuthenticationRequest.class, BearerTokenRequest.class, ApiKeyAuthenticationRequest.class);
    }

    @Override
    public Uni<HttpCredentialTransport> getCredentialTransport(RoutingContext context) {
        return jwt.getCredentialTransport(context);
    }

    @Override
    public int getPriority() {
        return jwt.getPriority() + 1;
    }
}
