package dev.atrium.access;

import dev.atrium.common.security.Role;
import io.smallrye.mutiny.Uni;

/** Organizations and their roles for {@link Access}; implemented by the organization domain. */
public interface OrganizationDirectory {

    /** The organization, or {@code null} when this cell serves none of that id (reference rows excluded). */
    Uni<OrganizationRef> organization(String id);

    /** An organization and the role a user holds in it ({@code null} when none). */
    record Held(OrganizationRef organization, Role role) {
    }

    /**
     * The organization with {@code userId}'s role in it, read in one statement; {@code null} when this cell serves
     * none of that id.
     */
    Uni<Held> organizationWithRole(String id, String userId);
}
