package dev.atrium.common.security;

import dev.atrium.cell.Cells;
import dev.atrium.common.problem.ApiException;
import dev.atrium.member.WorkspaceMember;
import dev.atrium.organization.Organization;
import dev.atrium.organization.OrganizationMember;
import dev.atrium.workspace.Workspace;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The one authorization service. Every endpoint that touches a workspace or organization asks here first:
 * outside the caller's reach is 404 (indistinguishable from a missing id), in reach but not permitted is 403.
 * Must run inside a Panache session.
 */
@ApplicationScoped
public class Access {

    private final Cells cells;

    public Access(Cells cells) {
        this.cells = cells;
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
        cells.requireLocal(workspaceId, "ws", caller.pathAndQuery());
        return Workspace.<Workspace>findById(workspaceId).flatMap(ws -> {
            if (ws == null) {
                return Uni.createFrom().failure(ApiException.notFound());
            }
            return roleIn(caller.principal(), ws).map(role -> {
                decide(caller.principal(), role, permission.grantedTo(role), permission.serviceScope());
                return new WorkspaceGrant(ws, role);
            });
        });
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
