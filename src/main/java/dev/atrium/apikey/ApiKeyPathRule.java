package dev.atrium.apikey;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import dev.atrium.common.id.Ids;
import dev.atrium.common.security.Access;
import dev.atrium.common.security.Principal;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * An API key works only under {@code /v1/workspaces/{its workspace}/}: any other path (organizations, {@code /v1/me},
 * the workspace list, regions, flat provisioning-run paths...) is 403 {@code api_key_not_allowed} before any endpoint
 * runs. Another workspace's path passes here and is 404 in {@link Access}, like any id outside the caller's reach.
 */
public class ApiKeyPathRule {

    private static final Pattern WORKSPACE_PATH = Pattern.compile("^/v1/workspaces/([^/]+)(?:/.*)?$");

    private final CurrentIdentityAssociation identities;

    public ApiKeyPathRule(CurrentIdentityAssociation identities) {
        this.identities = identities;
    }

    @ServerRequestFilter
    public Uni<Void> restrict(HttpServerRequest request) {
        if (ApiKeyFormat.bearerKey(request.getHeader(HttpHeaders.AUTHORIZATION)) == null) {
            return Uni.createFrom().voidItem();
        }
        // Authenticates first: a bad key is 401 whatever the path.
        return identities.getDeferredIdentity().invoke(identity -> {
            if (identity.getAttribute(Principal.IDENTITY_ATTRIBUTE) instanceof Principal key && key.isApiKey()
                    && !allowed(request.path())) {
                throw Access.apiKeyNotAllowed();
            }
        }).replaceWithVoid();
    }

    static boolean allowed(String path) {
        Matcher m = WORKSPACE_PATH.matcher(path);
        return m.matches() && Ids.cellCodeOf(m.group(1), "ws").isPresent();
    }
}
