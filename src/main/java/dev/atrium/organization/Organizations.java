package dev.atrium.organization;

import dev.atrium.access.OrganizationDirectory;
import dev.atrium.access.OrganizationRef;
import dev.atrium.common.security.Role;
import io.quarkus.hibernate.reactive.panache.Panache;
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
    public Uni<Held> organizationWithRole(String id, String userId) {
        // The organization as an entity of the session (a caller may change it), the role as a plain value.
        return Panache.getSession().chain(s -> s.createSelectionQuery("select o, m.role from Organization o"
                + " left join OrganizationMember m on m.organizationId = o.id and m.userId = :user where o.id = :id",
                Object[].class).setParameter("id", id).setParameter("user", userId).getSingleResultOrNull())
                .map(row -> row == null ? null : new Held((Organization) row[0],
                        row[1] == null ? null : Role.parse((String) row[1]).orElse(null)));
    }
}
