package dev.atrium.workspace;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.atrium.common.db.PointReads;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

/**
 * The workspace domain's hot reads and lists: one prepared statement each, mapped straight to views (no entity is
 * loaded where nothing is written), with what authorization needs in the same row; a workspace by id is a
 * {@link PointReads point read}, the lists run on the connection pool.
 */
// A singleton: on every request's path, called directly rather than through a client proxy.
@Singleton
public class WorkspaceQueries {

    private static final String READ = "select " + WorkspaceRow.COLUMNS + ", m.role as member_role"
            + " from workspaces w join organizations o on o.id = w.organization_id"
            + " left join workspace_members m on m.workspace_id = w.id and m.user_id = $2"
            + " where w.id = $1";

    private final Pool pool;
    private final PointReads pointReads;

    public WorkspaceQueries(Pool pool, PointReads pointReads) {
        this.pool = pool;
        this.pointReads = pointReads;
    }

    /**
     * The workspace, its organization's name and the role {@code memberUserId} holds in it ({@code null}: no role
     * asked for, or none held); {@code null} when this cell has no such workspace.
     */
    public Uni<WorkspaceRow> read(String id, String memberUserId) {
        return pointReads.execute(READ, Tuple.of(id, memberUserId))
                .map(rows -> rows.size() == 0 ? null : WorkspaceRow.from(rows.iterator().next(), true));
    }

    /** Which workspaces a list shows, in which order, from where. */
    public record Filter(String memberUserId, String organizationId, String status, Boolean archived, String region,
            String namePrefix, Map<String, String> metadata, String sort, Object after, String afterId, int limit) {
    }

    /**
     * One page of workspaces ({@code limit} + 1 rows: the last only tells that a next page exists). Those of
     * {@code memberUserId} are read from that user's memberships (newest first straight off an index, however many
     * workspaces the cell holds); otherwise from the workspaces, all of them or an organization's.
     */
    public Uni<List<WorkspaceRow>> page(Filter f) {
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("select ").append(WorkspaceRow.COLUMNS);
        boolean byName = f.sort().endsWith("name");
        boolean desc = f.sort().startsWith("-");
        String created;
        String id;
        if (f.memberUserId() != null) {
            params.add(f.memberUserId());
            sql.append(", m.role as member_role from workspace_members m"
                    + " join workspaces w on w.id = m.workspace_id join organizations o on o.id = w.organization_id"
                    + " where m.user_id = $1");
            created = "m.workspace_created_at";
            id = "m.workspace_id";
        } else {
            sql.append(" from workspaces w join organizations o on o.id = w.organization_id where true");
            created = "w.created_at";
            id = "w.id";
        }
        if (f.organizationId() != null) {
            params.add(f.organizationId());
            sql.append(" and w.organization_id = $").append(params.size());
        }
        if (f.status() != null) {
            params.add(f.status());
            sql.append(" and w.status = $").append(params.size());
        } else {
            sql.append(" and w.status <> 'deleted'");
        }
        if (f.archived() != null) {
            sql.append(f.archived() ? " and w.status = 'archived'" : " and w.status <> 'archived'");
        }
        if (f.region() != null) {
            params.add(f.region());
            sql.append(" and w.region = $").append(params.size());
        }
        if (f.namePrefix() != null) {
            params.add(f.namePrefix().toLowerCase().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                    + "%");
            sql.append(" and lower(w.name) like $").append(params.size());
        }
        for (Map.Entry<String, String> e : f.metadata().entrySet()) {
            params.add(e.getKey());
            params.add(e.getValue());
            sql.append(" and w.metadata @> jsonb_build_object($").append(params.size() - 1).append("::text, $")
                    .append(params.size()).append("::text)");
        }
        String key = byName ? "w.name" : created;
        String keyId = byName ? "w.id" : id;
        if (f.after() != null) {
            params.add(f.after());
            params.add(f.afterId());
            sql.append(" and (").append(key).append(", ").append(keyId).append(desc ? ") < ($" : ") > ($")
                    .append(params.size() - 1).append(", $").append(params.size()).append(")");
        }
        String dir = desc ? " desc" : " asc";
        sql.append(" order by ").append(key).append(dir).append(", ").append(keyId).append(dir)
                .append(" limit ").append(f.limit() + 1);
        boolean withRole = f.memberUserId() != null;
        return pool.preparedQuery(sql.toString()).execute(Tuple.from(params)).map(rows -> {
            List<WorkspaceRow> out = new ArrayList<>(rows.size());
            for (Row r : rows) {
                out.add(WorkspaceRow.from(r, withRole));
            }
            return out;
        });
    }

    private static final String SLICE = "select " + WorkspaceRow.COLUMNS
            + " from workspaces w join organizations o on o.id = w.organization_id"
            + " where w.organization_id = $1 and w.status not in ('deleting', 'deleted')"
            + " order by w.created_at desc, w.id desc offset $2 limit $3";
    private static final String COUNT = "select count(*) from workspaces w"
            + " where w.organization_id = $1 and w.status not in ('deleting', 'deleted')";

    /**
     * An organization's workspaces that are not being deleted, by position, newest first, for clients that page by
     * offset; the cost grows with the offset, which the caller bounds.
     */
    public Uni<List<WorkspaceRow>> organizationSlice(String organizationId, int offset, int limit) {
        return pool.preparedQuery(SLICE).execute(Tuple.of(organizationId, offset, limit)).map(rows -> {
            List<WorkspaceRow> out = new ArrayList<>(rows.size());
            for (Row r : rows) {
                out.add(WorkspaceRow.from(r, false));
            }
            return out;
        });
    }

    /** How many workspaces an organization has that are not being deleted. */
    public Uni<Long> countInOrganization(String organizationId) {
        return pool.preparedQuery(COUNT).execute(Tuple.of(organizationId))
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /** The cursor position of a timestamp sort key, for {@link Filter#after()}. */
    static Object timestamp(Instant at) {
        return at.atOffset(java.time.ZoneOffset.UTC);
    }
}
