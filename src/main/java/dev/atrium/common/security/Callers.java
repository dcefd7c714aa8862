package dev.atrium.common.security;

import dev.atrium.common.web.RequestIds;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.RequestScoped;

/**
 * The {@link Caller} of the current request. Its principal was built when the request was authenticated: by the
 * API-key identity provider, or by {@code token.TokenIdentityProvider}, which recognises services positively per
 * configured service and users only from the user issuer.
 */
@RequestScoped
public class Callers {

    private final SecurityIdentity identity;
    private final HttpServerRequest request;
    private final RoutingContext routing;
    private Caller cached;

    public Callers(SecurityIdentity identity, HttpServerRequest request, RoutingContext routing) {
        this.identity = identity;
        this.request = request;
        this.routing = routing;
    }

    public Caller current() {
        if (cached == null) {
            cached = new Caller(principal(), RequestIds.of(request), pathAndQuery());
        }
        return cached;
    }

    /** The path as routed ({@code ..} and {@code %2e%2e} resolved), never as spelled: redirects and scopes use it. */
    private String pathAndQuery() {
        String path = routing.normalizedPath();
        String query = request.query();
        return query == null || query.isEmpty() ? path : path + "?" + query;
    }

    /** The principal built when the request was authenticated (API key or verified JWT), or 401. */
    private Principal principal() {
        if (!identity.isAnonymous() && identity.getAttribute(Principal.IDENTITY_ATTRIBUTE) instanceof Principal p) {
            return p;
        }
        throw new UnauthorizedException();
    }
}
