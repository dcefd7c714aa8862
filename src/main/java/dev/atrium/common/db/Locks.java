package dev.atrium.common.db;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.LockModeType;

/**
 * Writes to a versioned row take its lock and re-read it first, after the caller's access was decided (so nobody
 * queues on a row outside their reach). Under the lock the row cannot change before commit: an {@code If-Match}
 * compared then is the truth (412 when stale), and writes without one simply run one after another instead of
 * failing on a version clash.
 */
public final class Locks {

    private Locks() {
    }

    public static <T> Uni<T> forUpdate(T entity) {
        return Panache.getSession().chain(s -> s.refresh(entity, LockModeType.PESSIMISTIC_WRITE)).replaceWith(entity);
    }
}
