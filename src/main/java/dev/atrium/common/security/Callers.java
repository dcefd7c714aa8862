package dev.atrium.common.security;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.eclipse.microprofile.jwt.JsonWebToken;

import dev.atrium.common.web.RequestIds;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.RequestScoped;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

/**
 * Builds the {@link Caller} of the current request from its verified token. Service principals are recognised
 * positively (an allow-listed client whose token names itself), never by a missing claim. API keys arrive with their
 * principal already built by the key's identity provider.
 */
@RequestScoped
public class Callers {

    private final SecurityIdentity identity;
    private final HttpServerRequest request;
    private final RoutingContext routing;
    private final Set<String> serviceClients;
    private final String adminGroup;
    private Caller cached;

    public Callers(SecurityIdentity identity, HttpServerRequest request, RoutingContext routing,
            SecurityConfig config) {
        this.identity = identity;
        this.request = request;
        this.routing = routing;
        this.serviceClients = new HashSet<>(config.serviceClients().orElse(List.of()));
        this.adminGroup = config.platformAdminGroup();
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

    private Principal principal() {
        if (!identity.isAnonymous() && identity.getAttribute(Principal.IDENTITY_ATTRIBUTE) instanceof Principal key) {
            return key; // an API key: its principal was built when the key was verified
        }
        if (identity.isAnonymous() || !(identity.getPrincipal() instanceof JsonWebToken jwt)) {
            throw new UnauthorizedException();
        }
        String sub = jwt.getSubject();
        if (sub == null || sub.isBlank()) {
            throw new UnauthorizedException();
        }
        String client = stringClaim(jwt, "azp");
        if (client == null) {
            client = stringClaim(jwt, "client_id");
        }
        if (client != null && client.equals(sub) && serviceClients.contains(client)) {
            return new Principal(Principal.Type.SERVICE, sub, null, false, stringClaim(jwt, "name") == null ? sub
                    : stringClaim(jwt, "name"), scopes(jwt), false);
        }
        Set<String> groups = jwt.getGroups() == null ? Set.of() : jwt.getGroups();
        return new Principal(Principal.Type.USER, sub, stringClaim(jwt, "email"), boolClaim(jwt, "email_verified"),
                stringClaim(jwt, "name"), Set.of(), groups.contains(adminGroup));
    }

    private static Set<String> scopes(JsonWebToken jwt) {
        Object scope = jwt.getClaim("scope");
        String raw = scope instanceof JsonString js ? js.getString() : scope instanceof String s ? s : null;
        if (raw != null) {
            return Arrays.stream(raw.trim().split("\\s+")).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
        }
        Object scp = jwt.getClaim("scp");
        if (scp instanceof Collection<?> values) {
            return values.stream().map(v -> v instanceof JsonString js ? js.getString() : String.valueOf(v))
                    .collect(Collectors.toSet());
        }
        return Set.of();
    }

    private static String stringClaim(JsonWebToken jwt, String name) {
        Object value = jwt.getClaim(name);
        if (value instanceof JsonString js) {
            return js.getString();
        }
        return value instanceof String s ? s : null;
    }

    private static boolean boolClaim(JsonWebToken jwt, String name) {
        Object value = jwt.getClaim(name);
        return value == JsonValue.TRUE || Boolean.TRUE.equals(value) || "true".equals(String.valueOf(value));
    }
}
