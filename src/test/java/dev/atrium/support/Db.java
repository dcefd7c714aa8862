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

    /** The workspace's stored status, {@code gone} once purged. */
    public String workspaceStatus(Object workspaceId) {
        List<Row> found = rows("select status from workspaces where id = $1", workspaceId);
        return found.isEmpty() ? "gone" : found.get(0).getString(0);
    }

    /** Waits up to 10 s for the saga to bring the workspace to {@code expected}; answers the last status seen. */
    public String awaitWorkspaceStatus(Object workspaceId, String expected) throws InterruptedException {
        for (int i = 0; i < 200 && !expected.equals(workspaceStatus(workspaceId)); i++) {
            Thread.sleep(50);
        }
        return workspaceStatus(workspaceId);
    }

    public long events(Object workspaceId, String type) {
        return count("select count(*) from events where workspace_id = $1 and type = $2", workspaceId, type);
    }

    /** A row lock held by another transaction until {@link Held#close()}: what a slow concurrent writer looks like. */
    public Held holdRowLock(String table, Object id) {
        io.vertx.mutiny.sqlclient.SqlConnection connection = pool.getConnection().await().atMost(Duration.ofSeconds(10));
        io.vertx.mutiny.sqlclient.Transaction tx = connection.begin().await().atMost(Duration.ofSeconds(10));
        connection.preparedQuery("select 1 from " + table + " where id = $1 for update").execute(Tuple.of(id))
                .await().atMost(Duration.ofSeconds(10));
        return () -> {
            tx.rollback().await().atMost(Duration.ofSeconds(10));
            connection.close().await().atMost(Duration.ofSeconds(10));
        };
    }

    public interface Held extends AutoCloseable {
        @Override
        void close();
    }
}
