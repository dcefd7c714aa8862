package dev.atrium.access;

import static dev.atrium.common.security.Role.ADMIN;
import static dev.atrium.common.security.Role.MEMBER;
import static dev.atrium.common.security.Role.OWNER;
import static dev.atrium.common.security.Role.VIEWER;

import java.util.EnumSet;
import java.util.Set;

import dev.atrium.common.security.Principal;
import dev.atrium.common.security.Role;

/**
 * The role-to-permission matrix of the contract, in one table. {@code serviceScope} is the {@code atrium:*} scope
 * that lets a service principal do the same ({@code null}: session only, never a service).
 */
public enum Permission {
    WORKSPACE_READ("workspace:read", EnumSet.of(OWNER, ADMIN, MEMBER, VIEWER), Principal.SCOPE_WORKSPACES_READ),
    MEMBERS_READ("members:read", EnumSet.of(OWNER, ADMIN, MEMBER, VIEWER), Principal.SCOPE_WORKSPACES_READ),
    ENVIRONMENTS_READ("environments:read", EnumSet.of(OWNER, ADMIN, MEMBER, VIEWER), Principal.SCOPE_WORKSPACES_READ),
    RUNS_READ("provisioning:read", EnumSet.of(OWNER, ADMIN, MEMBER, VIEWER), Principal.SCOPE_WORKSPACES_READ),
    AUDIT_READ("audit:read", EnumSet.of(OWNER, ADMIN, MEMBER), Principal.SCOPE_WORKSPACES_READ),
    EXPORT_READ("export:read", EnumSet.of(OWNER, ADMIN, MEMBER), Principal.SCOPE_WORKSPACES_READ),
    WORKSPACE_UPDATE("workspace:update", EnumSet.of(OWNER, ADMIN), Principal.SCOPE_WORKSPACES_WRITE),
    STATUS_FREEZE("status:freeze", EnumSet.of(OWNER, ADMIN), Principal.SCOPE_ADMIN),
    MEMBERS_INVITE("members:invite", EnumSet.of(OWNER, ADMIN), null),
    MEMBERS_UPDATE_ROLES("members:update_roles", EnumSet.of(OWNER, ADMIN), null),
    MEMBERS_REMOVE("members:remove", EnumSet.of(OWNER, ADMIN), null),
    BILLING_READ("billing:read", EnumSet.of(OWNER, ADMIN), Principal.SCOPE_WORKSPACES_READ),
    USAGE_READ("usage:read", EnumSet.of(OWNER, ADMIN), Principal.SCOPE_WORKSPACES_READ),
    API_KEYS_READ("api_keys:read", EnumSet.of(OWNER, ADMIN), null),
    API_KEYS_WRITE("api_keys:write", EnumSet.of(OWNER, ADMIN), null),
    WORKSPACE_DELETE("workspace:delete", EnumSet.of(OWNER), null),
    WORKSPACE_RESTORE("workspace:restore", EnumSet.of(OWNER), null),
    OWNERSHIP_TRANSFER("ownership:transfer", EnumSet.of(OWNER), null),
    RUNS_RETRY("provisioning:retry", EnumSet.of(OWNER, ADMIN), Principal.SCOPE_ADMIN);

    private final String wire;
    private final Set<Role> roles;
    private final String serviceScope;

    Permission(String wire, Set<Role> roles, String serviceScope) {
        this.wire = wire;
        this.roles = roles;
        this.serviceScope = serviceScope;
    }

    public String wire() {
        return wire;
    }

    public boolean grantedTo(Role role) {
        return role != null && roles.contains(role);
    }

    public String serviceScope() {
        return serviceScope;
    }

    public static Set<Permission> of(Role role) {
        EnumSet<Permission> out = EnumSet.noneOf(Permission.class);
        for (Permission p : values()) {
            if (p.grantedTo(role)) {
                out.add(p);
            }
        }
        return out;
    }
}
