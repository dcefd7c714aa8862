package dev.atrium.organization;

import dev.atrium.access.OrganizationDirectory;
import dev.atrium.access.OrganizationRef;
import dev.atrium.common.security.Role;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Hands {@link dev.atrium.access.Access} organizations and roles (in the caller's session) for its decisions. */
@ApplicationScoped
public class Organizations implements OrganizationDirectory {

    @Override
    public Uni<OrganizationRef> organization(String id) {
        return Organization.<Organization>findById(id).map(org -> org);
    }

    @Override
    public Uni<Role> organizationRole(String organizationId, String userId) {
        return OrganizationMember.<OrganizationMember>findById(new OrganizationMember.Key(organizationId, userId))
                .map(m -> m == null ? null : Role.parse(m.role).orElse(null));
    }
}
