package dev.atrium.common.db;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

import org.hibernate.reactive.mutiny.Mutiny;
import org.hibernate.reactive.mutiny.impl.MutinySessionImpl;

import io.smallrye.mutiny.Uni;

/**
 * Statements of the hot writes that map no entity, sent on the connection of the caller's session (so in its
 * transaction) past Hibernate's query layer. A native query there parses its SQL for named parameters and resolves
 * every parameter's type from its value on each call; an array's type is never kept, so it is built again every time,
 * by way of an exception thrown and caught inside Hibernate. On a waited create that cost more CPU than the encoding
 * of its statements.
 *
 * <p>
 * The SQL uses PostgreSQL's placeholders ({@code $1}, {@code $2}, ...); values are what the PostgreSQL client takes
 * (String, String[], Integer, Long, Boolean, OffsetDateTime: an Instant goes through {@link #at}). Hibernate does not
 * flush for these statements: a caller whose statement reads or refers to entities it persisted flushes first, as
 * under {@code FlushMode.COMMIT} already. Errors arrive as Hibernate's own exceptions, converted by the connection as
 * for every statement it sends.
 */
public final class SessionSql {

    private SessionSql() {
    }

    /**
     * Runs {@code sql} in the session's transaction and answers the rows it affected, or for a statement that answers
     * rows (a select, or {@code returning}), how many it answered.
     */
    public static Uni<Integer> update(Mutiny.Session session, String sql, Object... params) {
        return Uni.createFrom().completionStage(() -> ((MutinySessionImpl) session).getReactiveConnection()
                .update(sql, params));
    }

    /** An instant as the PostgreSQL client binds a {@code timestamptz}; null stays null. */
    public static OffsetDateTime at(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }
}
