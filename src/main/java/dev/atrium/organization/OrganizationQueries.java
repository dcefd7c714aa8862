package dev.atrium.organization;

import java.util.ArrayList;
import java.util.List;

import dev.atrium.common.db.PointReads;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The organization domain's list reads, one statement each; one row more than {@code limit} tells a next page
 * exists. Run in the caller's session, but for the caller's organizations: a {@link PointReads point read}.
 */
@ApplicationScoped
public class OrganizationQueries {

    /** An organization a user belongs to, with their role in it. */
    public record Membership(String id, String name, String role, boolean personal) {
    }

    private static final String MEMBERSHIPS = "select o.id, o.name, m.role, o.personal from organization_members m"
            + " join organizations o on o.id = m.organization_id where m.user_id = $1 order by o.id";

    private final PointReads pointReads;

    public OrganizationQueries(PointReads pointReads) {
        this.pointReads = pointReads;
    }

    /** Every organization {@code userId} belongs to, by id: one {@link PointReads point read}, no session needed. */
    public Uni<List<Membership>> membershipsOf(String userId) {
        return pointReads.execute(MEMBERSHIPS, Tuple.of(userId)).map(rows -> {
            List<Membership> out = new ArrayList<>(rows.size());
            for (Row r : rows) {
                out.add(new Membership(r.getString(0), r.getString(1), r.getString(2), r.getBoolean(3)));
            }
            return out;
        });
    }

    /**
     * This cell's own organizations (references to organizations homed elsewhere are never listed here), newest id
     * first, only those {@code memberUserId} belongs to when given, after {@code afterId} when given.
     */
    public Uni<List<Organization>> page(String homeRegion, String memberUserId, String afterId, int limit) {
        StringBuilder q = new StringBuilder("from Organization o where o.homeRegion = ?1");
        List<Object> params = new ArrayList<>();
        params.add(homeRegion);
        if (memberUserId != null) {
            params.add(memberUserId);
            q.append(" and exists (select 1 from OrganizationMember m where m.organizationId = o.id and m.userId = ?")
                    .append(params.size()).append(")");
        }
        if (afterId != null) {
            params.add(afterId);
            q.append(" and o.id < ?").append(params.size());
        }
        q.append(" order by o.id desc");
        return Organization.<Organization>find(q.toString(), params.toArray()).range(0, limit).list();
    }

    /** An organization's members by user id, after {@code afterUserId} when given. */
    public Uni<List<OrganizationMember>> members(String organizationId, String afterUserId, int limit) {
        String q = "organizationId = ?1" + (afterUserId != null ? " and userId > ?2" : "") + " order by userId";
        Object[] params = afterUserId != null ? new Object[] { organizationId, afterUserId }
                : new Object[] { organizationId };
        return OrganizationMember.<OrganizationMember>find(q, params).range(0, limit).list();
    }
}
