package dev.atrium.common.db;

import org.hibernate.reactive.mutiny.Mutiny;

import io.smallrye.mutiny.Uni;

/**
 * Native statements whose rows matter only by their number: a lock taken by {@code select ... for update} or a
 * function called for its effect, a count capped by a {@code limit}, or an update that returns a notification.
 * They run as updates, which answer the rows affected or returned. Hibernate Reactive caches a native select's plan
 * under a key whose result mapping never equals another call's, so every call of a native select adds one more
 * plan for the same SQL, and each later lookup compares it with all of them; an update's plan is found again.
 */
public final class Rows {

    private Rows() {
    }

    /** How many rows {@code statement} affected or returned; it runs in the session's current transaction. */
    public static Uni<Integer> count(Mutiny.Query<?> statement) {
        return statement.executeUpdate();
    }
}
