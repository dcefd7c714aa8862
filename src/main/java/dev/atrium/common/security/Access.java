package dev.atrium.common.security;

import dev.atrium.cell.Cells;
import dev.atrium.cell.PeerClient;
import dev.atrium.cell.RemoteOrganization;
import dev.atrium.common.problem.ApiException;
import dev.atrium.member.WorkspaceMember;
import dev.atrium.organization.Organization;
import dev.atrium.organization.OrganizationMember;
import dev.atrium.workspace.PlansConfig;
import dev.atrium.workspace.Workspace;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The one authorization service. Every endpoint that touches a workspace or organization asks here first:
 * outside the caller's reach is 404 (indistinguishable from a missing id), in reach but not permitted is 403.
 * Must run inside a Panache session, except the remote checks: for an organization homed in another cell the
 * role comes from that cell ({@link PeerClient}, the caller's own token forwarded) and the same rules decide here.
 */
@ApplicationScoped
public class Access {

    private final Cells cells;
    private final PlansConfig plans;
    private final PeerClient peers;

    public Access(Cells cells, PlansConfig plans, PeerClient peers) {
        this.cells = cells;
        this.plans = plans;
        this.peers = peers;
    }

    public record WorkspaceGrant(Workspace workspace, Role role) {
    }

    public record OrganizationGrant(Organization organization, Role role) {
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
        Principal p = caller.principal();
        if (p.isApiKey() && !p.workspaceId().equals(workspaceId)) {
            return Uni.createFrom().failure(ApiException.notFound());
        }
        cells.requireLocal(workspaceId, "ws", caller.pathAndQuery());
        return Workspace.<Workspace>findById(workspaceId).flatMap(ws -> {
            if (ws == null) {
                return Uni.createFrom().failure(ApiException.notFound());
            }
            if (p.isApiKey()) {
                return apiKey(p, ws, permission);
            }
            return roleIn(caller.principal(), ws).map(role -> {
                decide(caller.principal(), role, permission.grantedTo(role), permission.serviceScope());
                return new WorkspaceGrant(ws, role);
            });
        });
    }

    /**
     * An API key may do what its scopes name, what its holder's current role allows, and nothing session-only, on
     * a plan with API access. Scopes and role are checked on every call, so a demotion shrinks every key at once.
     */
    private Uni<WorkspaceGrant> apiKey(Principal key, Workspace ws, Permission permission) {
        String scope = keyScope(permission);
        if (scope == null) {
            return Uni.createFrom().failure(apiKeyNotAllowed());
        }
        PlansConfig.Plan plan = plans.plans().get(ws.plan);
        if (plan == null || !plan.apiAccess()) {
            return Uni.createFrom().failure(new ApiException(403, "plan_feature_unavailable",
                    "The workspace's plan '" + ws.plan + "' does not include API access."));
        }
        if (!key.scopes().contains(scope)) {
            return Uni.createFrom().failure(ApiException.forbidden("The API key lacks the '" + scope + "' scope."));
        }
        return WorkspaceMember.<WorkspaceMember>find("workspaceId = ?1 and userId = ?2", ws.id, key.holderUserId())
                .firstResult()
                .map(m -> {
                    Role role = m == null ? null : Role.parse(m.role).orElse(null);
                    if (!permission.grantedTo(role)) {
                        throw ApiException.forbidden("The API key's holder no longer holds this permission.");
                    }
                    return new WorkspaceGrant(ws, role);
                });
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
    public Uni<Role> roleIn(Principal principal, Workspace ws) {
        if (!principal.isUser()) {
            return Uni.createFrom().nullItem();
        }
        return WorkspaceMember.<WorkspaceMember>find("workspaceId = ?1 and userId = ?2", ws.id, principal.id())
                .firstResult()
                .map(m -> m == null ? null : Role.parse(m.role).orElse(null));
    }

    public Uni<OrganizationGrant> organization(Caller caller, String organizationId, OrgPermission permission) {
        if (caller.principal().isApiKey()) {
            return Uni.createFrom().failure(apiKeyNotAllowed());
        }
        cells.requireLocal(organizationId, "org", caller.pathAndQuery());
        return Organization.<Organization>findById(organizationId).flatMap(org -> {
            if (org == null) {
                return Uni.createFrom().failure(ApiException.notFound());
            }
            Principal p = caller.principal();
            Uni<Role> role = p.isUser()
                    ? OrganizationMember.<OrganizationMember>findById(new OrganizationMember.Key(org.id, p.id()))
                            .map(m -> m == null ? null : Role.parse(m.role).orElse(null))
                    : Uni.createFrom().nullItem();
            return role.map(r -> {
                decide(p, r, r != null && r.atLeast(permission.minimum), permission.serviceScope);
                return new OrganizationGrant(org, r);
            });
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
