package dev.atrium.common.db;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * One transaction per unit of work, shielded from the client going away ({@link Shield}), with work that must
 * happen only once it committed (starting a provisioning run, waking waiters) registered from inside it
 * ({@link #afterCommit}) and run then, once. A unit nested in another joins it: the outermost one commits and runs
 * what was registered. Nothing runs for work that did not run (an idempotent replay) or did not commit.
 */
public final class Tx {

    private static final String AFTER_COMMIT = "atrium.after-commit";

    private Tx() {
    }

    public static <T> Uni<T> run(Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> {
            Context context = Vertx.currentContext();
            if (context == null) {
                throw new IllegalStateException("Tx.run outside a Vert.x context");
            }
            if (context.getLocal(AFTER_COMMIT) != null) {
                return Panache.withTransaction(work);
            }
            List<Runnable> actions = new ArrayList<>();
            context.putLocal(AFTER_COMMIT, actions);
            return Shield.of(() -> Panache.withTransaction(work))
                    .onTermination().invoke(() -> context.removeLocal(AFTER_COMMIT))
                    .invoke(() -> actions.forEach(Runnable::run));
        });
    }

    /** Runs {@code action} once the transaction of the current {@link #run} has committed. */
    public static void afterCommit(Runnable action) {
        Context context = Vertx.currentContext();
        List<Runnable> actions = context == null ? null : context.getLocal(AFTER_COMMIT);
        if (actions == null) {
            throw new IllegalStateException("afterCommit outside Tx.run");
        }
        actions.add(action);
    }
}
