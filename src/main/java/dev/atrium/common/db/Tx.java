package dev.atrium.common.db;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * One transaction per unit of work, shielded from the client going away ({@link Shield}), with work that must
 * happen only once it committed (starting a provisioning run, waking waiters) registered from inside it
 * ({@link #afterCommit}) and run then, once, and rows gathered while it runs to be written together last, before the
 * commit ({@link #batch}). A unit nested in another joins it: the outermost one writes the batches, commits and runs
 * what was registered. Nothing runs for work that did not run (an idempotent replay) or did not commit.
 */
public final class Tx {

    private static final String UNIT = "atrium.tx-unit";

    private Tx() {
    }

    /** Rows gathered in a unit of work and written in one go at its end, in its transaction. */
    public interface Batch {
        Uni<Void> write();
    }

    private static final class Unit {
        final List<Runnable> afterCommit = new ArrayList<>();
        final Map<Class<?>, Batch> batches = new LinkedHashMap<>();

        /** Writes every batch, in the order each was begun; a batch's rows gathered while writing go in another. */
        Uni<Void> writeBatches() {
            if (batches.isEmpty()) {
                return Uni.createFrom().voidItem();
            }
            Batch first = batches.values().iterator().next();
            batches.remove(batches.keySet().iterator().next());
            return first.write().chain(this::writeBatches);
        }
    }

    public static <T> Uni<T> run(Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> {
            Context context = Vertx.currentContext();
            if (context == null) {
                throw new IllegalStateException("Tx.run outside a Vert.x context");
            }
            if (context.getLocal(UNIT) != null) {
                return Panache.withTransaction(work);
            }
            Unit unit = new Unit();
            context.putLocal(UNIT, unit);
            return Shield.of(() -> Panache.withTransaction(() -> work.get().call(unit::writeBatches)))
                    .onTermination().invoke(() -> context.removeLocal(UNIT))
                    .invoke(() -> unit.afterCommit.forEach(Runnable::run));
        });
    }

    /** Runs {@code action} once the transaction of the current {@link #run} has committed. */
    public static void afterCommit(Runnable action) {
        Unit unit = current();
        if (unit == null) {
            throw new IllegalStateException("afterCommit outside Tx.run");
        }
        unit.afterCommit.add(action);
    }

    /**
     * The current unit's batch of {@code type}, begun with {@code begin} when it has none yet, written at the end of
     * the unit's work before its commit; {@code null} outside {@link #run}, where rows must be written at once.
     */
    public static <B extends Batch> B batch(Class<B> type, Supplier<B> begin) {
        Unit unit = current();
        return unit == null ? null : type.cast(unit.batches.computeIfAbsent(type, t -> begin.get()));
    }

    private static Unit current() {
        Context context = Vertx.currentContext();
        return context == null ? null : context.getLocal(UNIT);
    }
}
