package dev.atrium.organization;

import dev.atrium.organization.dto.OrganizationMemberView;
import dev.atrium.organization.dto.OrganizationView;

/** Entities never cross HTTP: the one place they become views. */
public final class OrganizationMapper {
    private OrganizationMapper() {
    }

    public static OrganizationView view(Organization o) {
        return new OrganizationView("organization", o.id, o.name, o.slug, o.personal, o.homeRegion, o.createdAt,
                o.updatedAt, o.createdBy, o.updatedBy);
    }

    public static OrganizationMemberView view(OrganizationMember m) {
        return new OrganizationMemberView("organization_member", m.organizationId, m.userId, m.email, m.name, m.role,
                m.createdAt, m.updatedAt);
    }
}
