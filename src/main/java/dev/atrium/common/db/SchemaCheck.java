package dev.atrium.common.db;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.hibernate.metamodel.MappingMetamodel;
import org.hibernate.metamodel.mapping.SelectableConsumer;
import org.hibernate.reactive.mutiny.Mutiny;
import org.hibernate.type.SqlTypes;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Whether the database's schema has every table and column this build's entities map, each of a type that holds what
 * the entity reads and writes there. The migration Job runs it after Flyway has migrated ({@code dev.atrium.Main}), so
 * that a schema this build cannot work on (a column it still maps dropped by a newer release's contract step, the case
 * of a rollback) fails the Job before any pod rolls; a test runs it on the test database, so a migration and an entity
 * that disagree fail the build.
 *
 * <p>Types are compared by kind (text, integer, timestamp with time zone, jsonb, ...): PostgreSQL's own name of the
 * column's type must be one that the kind of value Hibernate binds can go into; a kind this check does not know is
 * accepted. Hibernate's own schema validation is not used: it runs in the blocking persistence unit, which the
 * service does not start (it built Hibernate's metadata a second time at every start), and Hibernate Reactive's
 * version reads {@code text} columns as untyped and refuses this schema.
 */
@ApplicationScoped
public class SchemaCheck {

    private static final String COLUMNS = """
            select table_name, column_name, data_type
              from information_schema.columns
             where table_schema = current_schema()""";

    private static final Set<String> TEXT = Set.of("text", "character varying", "character");

    private final Mutiny.SessionFactory sessions;
    private final Pool pool;

    public SchemaCheck(Mutiny.SessionFactory sessions, Pool pool) {
        this.sessions = sessions;
        this.pool = pool;
    }

    /**
     * What the entities map and the schema lacks or has of another type, as {@code no table t}, {@code no column t.c}
     * or {@code column t.c is <type>, not <types>}; empty when it fits.
     */
    public Uni<List<String>> misfits() {
        return present().map(present -> misfits(mapped(), present));
    }

    /** Each table of the database's current schema, with its columns and their types as PostgreSQL names them. */
    public Uni<Map<String, Map<String, String>>> present() {
        return pool.query(COLUMNS).execute().map(rows -> {
            Map<String, Map<String, String>> present = new TreeMap<>();
            for (Row row : rows) {
                present.computeIfAbsent(row.getString(0), t -> new TreeMap<>()).put(row.getString(1), row.getString(2));
            }
            return present;
        });
    }

    /** Each table the entities map, with the columns they read and write in it and the JDBC type code of each. */
    public Map<String, Map<String, Integer>> mapped() {
        Map<String, Map<String, Integer>> mapped = new TreeMap<>();
        SelectableConsumer add = (index, selectable) -> {
            if (!selectable.isFormula()) {
                mapped.computeIfAbsent(name(selectable.getContainingTableExpression()), t -> new TreeMap<>())
                        .put(name(selectable.getSelectionExpression()),
                                selectable.getJdbcMapping().getJdbcType().getDdlTypeCode());
            }
        };
        ((MappingMetamodel) sessions.getMetamodel()).forEachEntityDescriptor(entity -> {
            entity.getIdentifierMapping().forEachSelectable(add);
            entity.forEachSelectable(add);
        });
        return mapped;
    }

    /** {@code mapped} less {@code present}, table by table, and the columns present with a type of another kind. */
    public static List<String> misfits(Map<String, Map<String, Integer>> mapped,
            Map<String, Map<String, String>> present) {
        List<String> misfits = new ArrayList<>();
        mapped.forEach((table, columns) -> {
            Map<String, String> there = present.get(table);
            if (there == null) {
                misfits.add("no table " + table);
                return;
            }
            columns.forEach((column, typeCode) -> {
                String type = there.get(column);
                Set<String> fitting = fitting(typeCode);
                if (type == null) {
                    misfits.add("no column " + table + "." + column);
                } else if (!fitting.isEmpty() && !fitting.contains(type)) {
                    misfits.add("column " + table + "." + column + " is " + type + ", not " + String.join(" or ",
                            fitting.stream().sorted().toList()));
                }
            });
        });
        return misfits;
    }

    /** PostgreSQL's names of the column types that hold a value Hibernate binds with this code; empty: not known. */
    static Set<String> fitting(int typeCode) {
        return switch (typeCode) {
            case SqlTypes.VARCHAR, SqlTypes.LONGVARCHAR, SqlTypes.LONG32VARCHAR, SqlTypes.CHAR, SqlTypes.NVARCHAR,
                    SqlTypes.LONGNVARCHAR, SqlTypes.LONG32NVARCHAR, SqlTypes.NCHAR, SqlTypes.CLOB, SqlTypes.NCLOB,
                    SqlTypes.ENUM, SqlTypes.NAMED_ENUM -> TEXT;
            case SqlTypes.TINYINT, SqlTypes.SMALLINT -> Set.of("smallint", "integer", "bigint");
            case SqlTypes.INTEGER -> Set.of("integer", "bigint");
            case SqlTypes.BIGINT -> Set.of("bigint");
            case SqlTypes.BOOLEAN, SqlTypes.BIT -> Set.of("boolean");
            case SqlTypes.NUMERIC, SqlTypes.DECIMAL -> Set.of("numeric");
            case SqlTypes.REAL, SqlTypes.FLOAT, SqlTypes.DOUBLE -> Set.of("real", "double precision");
            case SqlTypes.DATE -> Set.of("date");
            case SqlTypes.TIMESTAMP_UTC, SqlTypes.TIMESTAMP_WITH_TIMEZONE -> Set.of("timestamp with time zone");
            case SqlTypes.TIMESTAMP -> Set.of("timestamp without time zone", "timestamp with time zone");
            case SqlTypes.UUID -> Set.of("uuid");
            case SqlTypes.JSON -> Set.of("jsonb", "json");
            case SqlTypes.BINARY, SqlTypes.VARBINARY, SqlTypes.LONGVARBINARY, SqlTypes.LONG32VARBINARY,
                    SqlTypes.BLOB -> Set.of("bytea");
            case SqlTypes.ARRAY -> Set.of("ARRAY");
            default -> Set.of();
        };
    }

    /** An unquoted, unqualified, lower-case name, as PostgreSQL stores the names the migrations create. */
    private static String name(String expression) {
        String name = expression.substring(expression.lastIndexOf('.') + 1);
        if (name.length() > 1 && name.startsWith("\"") && name.endsWith("\"")) {
            return name.substring(1, name.length() - 1);
        }
        return name.toLowerCase(Locale.ROOT);
    }
}
