package dev.atrium.it;

import java.util.LinkedHashMap;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * The database and production settings of the application that {@code @QuarkusIntegrationTest} launches: a
 * {@link CellDatabase} of its own, and the {@code ATRIUM_*} settings a deployment passes. Quarkus hands them to the
 * packaged jar or native binary as system properties; the datasource is also set by its Quarkus names, which outrank
 * the embedded-PostgreSQL extension a default-profile jar carries (see {@link PackagedCell}).
 */
public class PackagedServiceResource implements QuarkusTestResourceLifecycleManager {

    static final String REGION = "us-east-1";
    /** The launched application's management port (health, metrics), chosen here: the launcher sets only HTTP's. */
    static final int MANAGEMENT_PORT = freePort();

    private CellDatabase database;

    @Override
    public Map<String, String> start() {
        database = CellDatabase.start("packaged-service");
        Map<String, String> config = new LinkedHashMap<>(PackagedCell.prodSettings(database));
        config.putAll(database.datasourceConfig());
        config.put("atrium.cell.region", REGION);
        // Required in production; the launched application's port is only known once it runs, and no answer these
        // tests check carries the cell's own URL.
        config.put("ATRIUM_CELL_BASE_URL", "http://localhost");
        config.put("quarkus.management.port", String.valueOf(MANAGEMENT_PORT));
        return config;
    }

    /** Gives the test class its database ({@code CellDatabase} field), to check rows with SQL. */
    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(database, new TestInjector.MatchesType(CellDatabase.class));
    }

    private static int freePort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (database != null) {
            database.close();
        }
    }
}
