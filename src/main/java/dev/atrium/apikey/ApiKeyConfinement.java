package dev.atrium.apikey;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import dev.atrium.access.AcceptsApiKeys;
import dev.atrium.access.Access;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.security.Principal;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;

/**
 * Confines an API key to its own workspace, decided on what the router matched, never on how the path was spelled
 * ({@code ..}, {@code %2e%2e} and doubled slashes reach the same method as the clean path). A key reaches an operation
 * only when the matched method is marked {@link AcceptsApiKeys} and its {@code workspace_id} is the key's workspace:
 * another workspace is 404 (outside its reach, like any unknown id), anything else 403 {@code api_key_not_allowed}.
 */
public class ApiKeyConfinement {

    static final String WORKSPACE_PARAM = "workspace_id";

    private final CurrentIdentityAssociation identities;

    public ApiKeyConfinement(CurrentIdentityAssociation identities) {
        this.identities = identities;
    }

    @ServerRequestFilter
    public Uni<Void> confine(ContainerRequestContext request, ResourceInfo resource) {
        if (ApiKeyFormat.bearerKey(request.getHeaderString(HttpHeaders.AUTHORIZATION.toString())) == null) {
            return Uni.createFrom().voidItem();
        }
        // Authenticates first: a bad key is 401 whatever the path.
        return identities.getDeferredIdentity().invoke(identity -> {
            if (identity.getAttribute(Principal.IDENTITY_ATTRIBUTE) instanceof Principal key && key.isApiKey()) {
                decide(key, request.getUriInfo().getPathParameters().getFirst(WORKSPACE_PARAM),
                        resource.getResourceMethod().isAnnotationPresent(AcceptsApiKeys.class));
            }
        }).replaceWithVoid();
    }

    /** 404 for another workspace's operation, 403 for any operation that is not open to keys. */
    static void decide(Principal key, String workspaceId, boolean acceptsKeys) {
        if (workspaceId != null && !workspaceId.equals(key.workspaceId())) {
            throw ApiException.notFound();
        }
        if (workspaceId == null || !acceptsKeys) {
            throw Access.apiKeyNotAllowed();
        }
    }
}
