package dev.atrium.access;

import dev.atrium.cell.Cells;
import dev.atrium.cell.PeerClient;
import dev.atrium.cell.RemoteOrganization;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.security.Caller;
import dev.atrium.common.security.Principal;
import dev.atrium.common.security.Role;
import dev.atrium.plan.Plans;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

/**
 * The one authorization service. Every endpoint that touches a workspace or organization asks here first:
 * outside the caller's reach is 404 (indistinguishable from a missing id), in reach but not permitted is 403.
 * Must run inside a Panache session, except the remote checks: for an organization homed in another cell the
 * role comes from that cell ({@link PeerClient}, the caller's own token forwarded) and the same rules decide here.
 * Workspaces, organizations and roles come from their domains through {@link WorkspaceDirectory},
 * {@link MembershipDirectory} and {@link OrganizationDirectory}; the policy is decided here alone.
 */
// A singleton: on every request's path, called directly rather than through a client proxy.
@Singleton
public class Access {

    private final Cells cells;
    private final Plans plans;
    private final PeerClient peers;
    private final WorkspaceDirectory workspaces;
    private final MembershipDirectory memberships;
    private final OrganizationDirectory organizations;

    public Access(Cells cells, Plans plans, PeerClient peers, WorkspaceDirectory workspaces,
            MembershipDirectory memberships, OrganizationDirectory organizations) {
        this.cells = cells;
        this.plans = plans;
        this.peers = peers;
        this.workspaces = workspaces;
        this.memberships = memberships;
        this.organizations = organizations;
    }

    public record WorkspaceGrant(WorkspaceRef workspace, Role role) {
    }

    public record OrganizationGrant(OrganizationRef organization, Role role) {
    }

    public enum OrgPermission {
        READ(Role.MEMBER, Principal.SCOPE_WORKSPACES_READ),
        UPDATE(Role.ADMIN, Principal.SCOPE_ADMIN),
        MANAGE_MEMBERS(Role.ADMIN, null),
        CREATE_WORKSPACE(Role.ADMIN, Principal.SCOPE_WORKSPACES_WRITE);

        final Role minimum;
        final String serviceScope;

        OrgPermission(Role minimum, String serviceScope) {
            this.minimum = minimum;
            this.serviceScope = serviceScope;
        }
    }

    public Uni<WorkspaceGrant> workspace(Caller caller, String workspaceId, Permission permission) {
        requireInReach(caller, workspaceId);
        String member = memberOf(caller.principal());
        return workspaces.workspace(workspaceId).flatMap(ws -> ws == null || member == null
                ? Uni.createFrom().item(() -> decideWorkspace(caller, ws, null, permission))
                : memberships.workspaceRole(ws.id(), member).map(role -> decideWorkspace(caller, ws, role, permission)));
    }

    /**
     * What can be decided before anything is read: an API key's other workspaces are out of reach (404), a workspace
     * of another cell is there (307).
     */
    public void requireInReach(Caller caller, String workspaceId) {
        Principal p = caller.principal();
        if (p.isApiKey() && !p.workspaceId().equals(workspaceId)) {
            throw ApiException.notFound();
        }
        cells.requireLocal(workspaceId, "ws", caller.pathAndQuery());
    }

    /** Whose workspace role decides for {@code p}: a user's own, an API key's holder's; a service has none. */
    public static String memberOf(Principal p) {
        return p.isUser() ? p.id() : p.isApiKey() ? p.holderUserId() : null;
    }

    /**
     * Decides on a workspace read together with the role {@link #memberOf} the caller holds in it (one query of the
     * caller's; {@code null} workspace: none of that id), without touching the database.
     */
    public WorkspaceGrant decideWorkspace(Caller caller, WorkspaceRef ws, Role role, Permission permission) {
        Principal p = caller.principal();
        if (ws == null || (p.isApiKey() && !p.workspaceId().equals(ws.id()))) {
            throw ApiException.notFound();
        }
        if (p.isApiKey()) {
            decideKey(p, ws, role, permission);
        } else {
            decide(p, role, permission.grantedTo(role), permission.serviceScope());
        }
        return new WorkspaceGrant(ws, role);
    }

    /**
     * An API key may do what its scopes name, what its holder's current role allows, and nothing session-only, on
     * a plan with API access. Scopes and role are checked on every call, so a demotion shrinks every key at once.
     */
    private void decideKey(Principal key, WorkspaceRef ws, Role holderRole, Permission permission) {
        String scope = keyScope(permission);
        if (scope == null) {
            throw apiKeyNotAllowed();
        }
        plans.requireApiAccess(ws.plan());
        if (!key.scopes().contains(scope)) {
            throw ApiException.forbidden("The API key lacks the '" + scope + "' scope.");
        }
        if (!permission.grantedTo(holderRole)) {
            throw ApiException.forbidden("The API key's holder no longer holds this permission.");
        }
    }

    /** The key scope that grants a permission to an API key; {@code null}: keys can never have it. */
    public static String keyScope(Permission permission) {
        return switch (permission) {
            case WORKSPACE_READ, ENVIRONMENTS_READ, RUNS_READ -> "workspace:read";
            case MEMBERS_READ, AUDIT_READ, EXPORT_READ, WORKSPACE_UPDATE, BILLING_READ, USAGE_READ -> permission.wire();
            default -> null;
        };
    }

    public static ApiException apiKeyNotAllowed() {
        return new ApiException(403, "api_key_not_allowed",
                "API keys cannot do this; it needs a user session or a service token.");
    }

    /** The caller's role in a workspace they can see, without a permission check (for {@code members/me}). */
    public Uni<Role> roleIn(Principal principal, WorkspaceRef ws) {
        if (!principal.isUser()) {
            return Uni.createFrom().nullItem();
        }
        return memberships.workspaceRole(ws.id(), principal.id());
    }

    public Uni<OrganizationGrant> organization(Caller caller, String organizationId, OrgPermission permission) {
        if (caller.principal().isApiKey()) {
            return Uni.createFrom().failure(apiKeyNotAllowed());
        }
        cells.requireLocal(organizationId, "org", caller.pathAndQuery());
        Principal p = caller.principal();
        // A user's role is read with the organization, in one statement; a service has none to read.
        Uni<OrganizationDirectory.Held> held = p.isUser() ? organizations.organizationWithRole(organizationId, p.id())
                : organizations.organization(organizationId)
                        .map(org -> org == null ? null : new OrganizationDirectory.Held(org, null));
        return held.map(h -> {
            if (h == null) {
                throw ApiException.notFound();
            }
            Role r = h.role();
            decide(p, r, r != null && r.atLeast(permission.minimum), permission.serviceScope);
            return new OrganizationGrant(h.organization(), r);
        });
    }

    /**
     * The caller's grant in organization {@code organizationId}, homed in peer cell {@code homeRegion}: outside
     * their reach there is 404, in reach without the permission 403, home unreachable 503 {@code cell_unavailable}.
     * Runs outside any session (it waits on HTTP, not on the database).
     */
    public Uni<RemoteOrganization> remoteOrganization(Caller caller, String homeRegion, String organizationId,
            OrgPermission permission, PeerClient.Forward forward) {
        if (caller.principal().isApiKey()) {
            return Uni.createFrom().failure(apiKeyNotAllowed());
        }
        return peers.organization(homeRegion, organizationId, caller.principal(), forward)
                .map(org -> decided(caller.principal(), org, permission));
    }

    /** The caller's personal organization on the directory cell (users only), with the same decision. */
    public Uni<RemoteOrganization> remotePersonalOrganization(Caller caller, OrgPermission permission,
            PeerClient.Forward forward) {
        return peers.personalOrganization(caller.principal(), forward)
                .map(org -> decided(caller.principal(), org, permission));
    }

    private static RemoteOrganization decided(Principal p, RemoteOrganization org, OrgPermission permission) {
        Role r = org.role();
        decide(p, r, r != null && r.atLeast(permission.minimum), permission.serviceScope);
        return org;
    }

    private static void decide(Principal p, Role role, boolean roleAllows, String serviceScope) {
        if (p.isUser()) {
            if (p.platformAdmin()) {
                return;
            }
            if (role == null) {
                throw ApiException.notFound();
            }
            if (!roleAllows) {
                throw ApiException.forbidden("Your role does not allow this.");
            }
            return;
        }
        if (serviceScope != null && p.hasScope(serviceScope)) {
            return;
        }
        if (p.hasScope(Principal.SCOPE_WORKSPACES_READ) || p.hasScope(Principal.SCOPE_WORKSPACES_WRITE)) {
            throw ApiException.forbidden("The service's scopes do not allow this.");
        }
        throw ApiException.notFound();
    }
}
