package dev.atrium.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

/** Reads the rows a request left behind, straight from PostgreSQL. */
@ApplicationScoped
public class Db {

    private final Pool pool;

    public Db(Pool pool) {
        this.pool = pool;
    }

    public List<Row> rows(String sql, Object... params) {
        List<Row> out = new ArrayList<>();
        pool.preparedQuery(sql).execute(Tuple.from(params)).await().atMost(Duration.ofSeconds(10)).forEach(out::add);
        return out;
    }

    public long count(String sql, Object... params) {
        return rows(sql, params).get(0).getLong(0);
    }

    /** Adds a member with {@code role} directly, for permission tests (invitations arrive in a later API). */
    public void addMember(Object workspaceId, String userId, String role) {
        rows("insert into workspace_members (id, workspace_id, user_id, email, name, role, joined_at)"
                + " values ('mem_test' || md5(random()::text), $1, $2, $3, $4, $5, now())",
                workspaceId, userId, userId + "@example.com", "User " + userId, role);
    }

    public long events(Object workspaceId, String type) {
        return count("select count(*) from events where workspace_id = $1 and type = $2", workspaceId, type);
    }
}
