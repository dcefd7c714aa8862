package dev.atrium.usage;


import dev.atrium.cell.Cells;
import dev.atrium.common.id.Ids;
import dev.atrium.common.security.Principal;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Counts API calls at the HTTP edge, once a response has been sent: a request counts for a workspace when its path
 * names it ({@code /v1/workspaces/{id}} and below) or when an API key bound to it authenticated the request.
 * Answers that a stranger gets (401, 404) do not count for the path's workspace, so nobody can inflate another
 * workspace's usage, and only ids of this cell's workspaces are held, which keeps memory bounded. A call is
 * counted as its response finishes, so it shows in the next request's figures; a cut connection counts nothing.
 */
@ApplicationScoped
public class UsageEdge {

    private static final String WORKSPACES = "/v1/workspaces/";
    private static final int WORKSPACE_ID_LENGTH = "ws_".length() + Ids.BODY_LENGTH;

    private final UsageCounter counter;
    private final String cellCode;

    public UsageEdge(UsageCounter counter, Cells cells) {
        this.counter = counter;
        this.cellCode = Ids.cellCode(cells.region());
    }

    void install(@Observes Router router) {
        router.route("/v1/*").order(Integer.MIN_VALUE + 1).handler(this::watch);
    }

    private void watch(RoutingContext ctx) {
        ctx.addEndHandler(ended -> {
            if (ended.succeeded()) {
                count(ctx);
            }
        });
        ctx.next();
    }

    private void count(RoutingContext ctx) {
        String byKey = local(apiKeyWorkspace(ctx));
        int status = ctx.response().getStatusCode();
        String byPath = status == 401 || status == 404 ? null : pathWorkspace(ctx.normalizedPath());
        if (byPath != null && !byPath.startsWith(cellCode, "ws_".length())) {
            byPath = null; // well-formed already: only its cell code is left to compare
        }
        if (byKey != null) {
            counter.record(byKey);
        }
        if (byPath != null && !byPath.equals(byKey)) {
            counter.record(byPath);
        }
    }

    /** The workspace id of a path under {@code /v1/workspaces/ws_…} (the id well-formed), else {@code null}. */
    static String pathWorkspace(String path) {
        int start = WORKSPACES.length();
        int end = start + WORKSPACE_ID_LENGTH;
        if (path == null || path.length() < end || !path.startsWith(WORKSPACES)
                || path.length() > end && path.charAt(end) != '/') {
            return null;
        }
        String id = path.substring(start, end);
        return Ids.cellCodeOf(id, "ws").isPresent() ? id : null;
    }

    private String local(String workspaceId) {
        return workspaceId != null && Ids.cellCodeOf(workspaceId, "ws").filter(cellCode::equals).isPresent()
                ? workspaceId
                : null;
    }

    private static String apiKeyWorkspace(RoutingContext ctx) {
        if (ctx.user() instanceof QuarkusHttpUser user) {
            SecurityIdentity identity = user.getSecurityIdentity();
            if (identity != null && identity.getAttribute(Principal.IDENTITY_ATTRIBUTE) instanceof Principal key
                    && key.isApiKey()) {
                return key.workspaceId();
            }
        }
        return null;
    }
}
