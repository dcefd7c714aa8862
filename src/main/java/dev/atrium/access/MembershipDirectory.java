package dev.atrium.access;

import dev.atrium.common.security.Role;
import io.smallrye.mutiny.Uni;

/** Workspace roles for {@link Access}; implemented by the member domain. Runs inside the caller's session. */
public interface MembershipDirectory {

    /** The role {@code userId} holds in the workspace, {@code null} when they are not a member. */
    Uni<Role> workspaceRole(String workspaceId, String userId);
}
