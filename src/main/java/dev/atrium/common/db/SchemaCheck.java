package dev.atrium.common.db;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.hibernate.metamodel.MappingMetamodel;
import org.hibernate.metamodel.mapping.SelectableConsumer;
import org.hibernate.reactive.mutiny.Mutiny;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Whether the database's schema has every table and column this build's entities map. The migration Job runs it after
 * Flyway has migrated ({@code dev.atrium.Main}), so that a schema this build cannot work on (a column it still maps
 * dropped by a newer release's contract step, the case of a rollback) fails the Job before any pod rolls; a test runs
 * it on the test database, so a migration and an entity that disagree fail the build.
 *
 * <p>It compares names, not types: the type of a column is the migration's business and the tests that write and read
 * every entity. Hibernate's own schema validation is not used: it runs in the blocking persistence unit, which the
 * service does not start (it doubled Hibernate's share of the start), and Hibernate Reactive's version reads
 * {@code text} columns as untyped and refuses this schema.
 */
@ApplicationScoped
public class SchemaCheck {

    private static final String COLUMNS = """
            select table_name, column_name
              from information_schema.columns
             where table_schema = current_schema()""";

    private final Mutiny.SessionFactory sessions;
    private final Pool pool;

    public SchemaCheck(Mutiny.SessionFactory sessions, Pool pool) {
        this.sessions = sessions;
        this.pool = pool;
    }

    /** What the entities map and the schema lacks, as {@code table t} or {@code column t.c}; empty when it fits. */
    public Uni<List<String>> missing() {
        return present().map(present -> missing(mapped(), present));
    }

    /** Each table of the database's current schema, with its columns. */
    public Uni<Map<String, Set<String>>> present() {
        return pool.query(COLUMNS).execute().map(rows -> {
            Map<String, Set<String>> present = new TreeMap<>();
            for (Row row : rows) {
                present.computeIfAbsent(row.getString(0), t -> new TreeSet<>()).add(row.getString(1));
            }
            return present;
        });
    }

    /** Each table the entities map, with the columns they read and write in it. */
    public Map<String, Set<String>> mapped() {
        Map<String, Set<String>> mapped = new TreeMap<>();
        SelectableConsumer add = (index, selectable) -> {
            if (!selectable.isFormula()) {
                mapped.computeIfAbsent(name(selectable.getContainingTableExpression()), t -> new TreeSet<>())
                        .add(name(selectable.getSelectionExpression()));
            }
        };
        ((MappingMetamodel) sessions.getMetamodel()).forEachEntityDescriptor(entity -> {
            entity.getIdentifierMapping().forEachSelectable(add);
            entity.forEachSelectable(add);
        });
        return mapped;
    }

    /** {@code mapped} less {@code present}, table by table. */
    public static List<String> missing(Map<String, Set<String>> mapped, Map<String, Set<String>> present) {
        List<String> missing = new ArrayList<>();
        mapped.forEach((table, columns) -> {
            Set<String> there = present.get(table);
            if (there == null) {
                missing.add("table " + table);
            } else {
                columns.stream().filter(c -> !there.contains(c)).forEach(c -> missing.add("column " + table + "." + c));
            }
        });
        return missing;
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
