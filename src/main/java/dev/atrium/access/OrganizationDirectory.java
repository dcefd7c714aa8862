package dev.atrium.access;

import dev.atrium.common.security.Role;
import io.smallrye.mutiny.Uni;

/** Organizations and their roles for {@link Access}; implemented by the organization domain. */
public interface OrganizationDirectory {

    /** The organization, or {@code null} when this cell serves none of that id (reference rows excluded). */
    Uni<OrganizationRef> organization(String id);

    /** The role {@code userId} holds in the organization, {@code null} when none. */
    Uni<Role> organizationRole(String organizationId, String userId);
}
