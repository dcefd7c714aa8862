package dev.atrium.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL server of its own (the same zonky binaries the tests use), started in the test JVM on a free port
 * with one database, {@code atrium}, for one packaged cell. It outlives the cells that use it: a cell can be stopped,
 * killed and restarted on the same data. Server output goes to {@code target/it-logs/<name>-postgres.log}.
 */
public final class CellDatabase implements AutoCloseable {

    static final String DATABASE = "atrium";
    static final String USER = "postgres";
    /** The roles deploy/README.md creates: the migration Job's (owns the schema) and the service's (rows only). */
    public static final String OWNER = "atrium_owner";
    public static final String APP = "atrium_app";
    static final Path OPERATOR_GUIDE = Path.of("deploy/README.md");
    static final String ROLES_MARKER = "<!-- database roles -->";

    private final String name;
    private final EmbeddedPostgres server;

    private CellDatabase(String name, EmbeddedPostgres server) {
        this.name = name;
        this.server = server;
    }

    /** Starts a server (about two seconds: initdb and start) and creates the {@code atrium} database. */
    public static CellDatabase start(String name) {
        try {
            Path log = PackagedCell.LOG_DIR.resolve(name + "-postgres.log");
            Files.createDirectories(log.getParent());
            EmbeddedPostgres server = EmbeddedPostgres.builder()
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            CellDatabase pg = new CellDatabase(name, server);
            try (Connection c = server.getPostgresDatabase().getConnection()) {
                c.createStatement().execute("create database " + DATABASE);
            }
            return pg;
        } catch (IOException e) {
            throw new UncheckedIOException("PostgreSQL for " + name + " did not start", e);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL for " + name + ": " + e.getMessage(), e);
        }
    }

    public String name() {
        return name;
    }

    public int port() {
        return server.getPort();
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + port() + "/" + DATABASE;
    }

    /** The URL form of Quarkus' reactive client. */
    public String reactiveUrl() {
        return "postgresql://localhost:" + port() + "/" + DATABASE;
    }

    public String user() {
        return USER;
    }

    /** The server trusts local connections; the service still needs a value to send. */
    public String password() {
        return "unused";
    }

    /** The datasource settings of a cell on this database, as the packaged service reads them. */
    public Map<String, String> datasourceConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("quarkus.datasource.reactive.url", reactiveUrl());
        config.put("quarkus.datasource.jdbc.url", jdbcUrl());
        config.put("quarkus.datasource.username", user());
        config.put("quarkus.datasource.password", password());
        return config;
    }

    /**
     * Runs, as the server's superuser in the {@code atrium} database, the SQL block that follows
     * {@value #ROLES_MARKER} in deploy/README.md: the owner and the application role with the grants an operator
     * gives them, exactly as documented.
     */
    public void createRoles() {
        String guide;
        try {
            guide = Files.readString(OPERATOR_GUIDE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int marker = guide.indexOf(ROLES_MARKER);
        if (marker < 0) {
            throw new IllegalStateException(OPERATOR_GUIDE + " has no " + ROLES_MARKER + " block");
        }
        int start = guide.indexOf("```sql\n", marker) + "```sql\n".length();
        String block = guide.substring(start, guide.indexOf("```", start));
        StringBuilder sql = new StringBuilder();
        block.lines().map(l -> l.replaceFirst("--.*$", "")).forEach(l -> sql.append(l).append('\n'));
        try (Connection c = DriverManager.getConnection(jdbcUrl(), USER, password())) {
            for (String statement : sql.toString().split(";")) {
                if (!statement.isBlank()) {
                    c.createStatement().execute(statement);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(name + ": roles of " + OPERATOR_GUIDE + ": " + e.getMessage(), e);
        }
    }

    /** A connection of its own as the owner, for what needs one held open (a {@code LISTEN}). */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), USER, password());
    }

    /** Runs one statement as {@code user}; a refusal comes back as the exception. */
    public void executeAs(String user, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl(), user, password())) {
            c.createStatement().execute(sql);
        }
    }

    /** Runs a query ({@code ?} placeholders) and returns the first column of the first row as a number. */
    public long count(String sql, Object... params) {
        List<Map<String, Object>> rows = rows(sql, params);
        return ((Number) rows.get(0).values().iterator().next()).longValue();
    }

    /** Runs a query ({@code ?} placeholders) and returns every row, column name to value. */
    public List<Map<String, Object>> rows(String sql, Object... params) {
        try (Connection c = DriverManager.getConnection(jdbcUrl(), USER, password());
                PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            List<Map<String, Object>> out = new ArrayList<>();
            if (!s.execute()) {
                return out;
            }
            try (ResultSet rs = s.getResultSet()) {
                int columns = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= columns; i++) {
                        row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
                    }
                    out.add(row);
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(name + ": " + sql + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
