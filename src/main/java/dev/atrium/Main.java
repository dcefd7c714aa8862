package dev.atrium;

import java.util.Arrays;
import java.util.List;

import org.jboss.logging.Logger;

import dev.atrium.background.Chores;
import dev.atrium.common.db.SchemaCheck;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.inject.Inject;

/**
 * The entry point of the packaged application (jar and native binary).
 *
 * <ul>
 * <li>No argument: the service, as Quarkus' own entry point runs it, until it is stopped.</li>
 * <li>{@code chores}: one round of the cell's background work ({@link Chores}), a summary line in the log, then exit
 * with status 0, or 1 when a chore failed. A Kubernetes CronJob runs it, so a cell scaled to zero still retries its
 * provisioning runs, purges and expires. It adds the {@value #JOB_PROFILE} configuration profile: no HTTP listener,
 * no timers, and none of the serving secrets (token key, API-key pepper, sealing key) required; it needs the
 * database and the cell's own settings only.</li>
 * <li>{@code migrate}: the migration Job. The same start as a serving instance with the {@value #JOB_PROFILE} profile,
 * except that Flyway migrates the schema first; then {@link SchemaCheck} checks that the schema has every table and
 * column this build's entities map, of fitting types, and the process exits with status 1 when it does not (naming
 * what does not fit), otherwise with status 0. Serving instances skip the check, so their starts stay short.</li>
 * </ul>
 */
@QuarkusMain
public class Main implements QuarkusApplication {

    public static final String CHORES = "chores";
    public static final String MIGRATE = "migrate";
    /** The configuration profile of a process that does one job and exits (chores, the migration Job). */
    public static final String JOB_PROFILE = "job";

    private static final Logger LOG = Logger.getLogger(Main.class);

    private final Chores chores;
    private final SchemaCheck schema;

    @Inject
    public Main(Chores chores, SchemaCheck schema) {
        this.chores = chores;
        this.schema = schema;
    }

    public static void main(String... args) {
        String command = command(args);
        if (CHORES.equals(command) || MIGRATE.equals(command)) {
            System.setProperty("quarkus.profile", withJobProfile(activeProfile()));
            if (MIGRATE.equals(command)) {
                System.setProperty("quarkus.flyway.migrate-at-start", "true");
            }
            Quarkus.run(Main.class, args);
        } else {
            // Quarkus' own path.
            Quarkus.run(args);
        }
    }

    /** Chores and migrate only: the service runs through Quarkus' own entry point. */
    @Override
    public int run(String... args) {
        if (MIGRATE.equals(command(args))) {
            // Reaching this point means the start migrated the schema (or found nothing to migrate).
            List<String> misfits;
            try {
                misfits = VertxContextSupport.subscribeAndAwait(schema::misfits);
            } catch (Throwable t) {
                LOG.error("the schema could not be checked", t);
                return 1;
            }
            if (!misfits.isEmpty()) {
                LOG.errorf("the schema does not fit this build: %s", String.join("; ", misfits));
                return 1;
            }
            LOG.info("schema migrated and checked against this build");
            return 0;
        }
        long started = System.nanoTime();
        try {
            Chores.Round round = VertxContextSupport.subscribeAndAwait(chores::runOnce);
            LOG.infof("chores done in %d ms: %s", (System.nanoTime() - started) / 1_000_000, round);
            return 0;
        } catch (Throwable t) {
            LOG.errorf(t, "chores failed after %d ms", (System.nanoTime() - started) / 1_000_000);
            return 1;
        }
    }

    /** The first argument that is not an option names the command (the native binary passes -D options on). */
    public static String command(String... args) {
        return Arrays.stream(args).filter(a -> !a.startsWith("-")).findFirst().orElse("");
    }

    private static String activeProfile() {
        String profile = System.getProperty("quarkus.profile");
        if (profile == null || profile.isBlank()) {
            profile = System.getenv("QUARKUS_PROFILE");
        }
        return profile == null || profile.isBlank() ? "prod" : profile;
    }

    public static String withJobProfile(String profiles) {
        return Arrays.asList(profiles.split(",")).contains(JOB_PROFILE) ? profiles : profiles + "," + JOB_PROFILE;
    }
}
