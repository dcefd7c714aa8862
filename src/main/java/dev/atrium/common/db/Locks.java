package dev.atrium.common.db;

import org.hibernate.LockMode;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.LockModeType;

/**
 * Writes to a versioned row take its lock and re-read it first, after the caller's access was decided (so nobody
 * queues on a row outside their reach). Under the lock the row cannot change before commit: an {@code If-Match}
 * compared then is the truth (412 when stale), and writes without one simply run one after another instead of
 * failing on a version clash.
 *
 * <p>
 * A row this transaction wrote itself (the session holds its entity with {@link LockMode#WRITE}: inserted here, as a
 * workspace created and provisioned in one transaction is, or updated here) is already locked by it, and the entity
 * holds what was written: it is neither locked nor read again.
 */
public final class Locks {

    private Locks() {
    }

    public static <T> Uni<T> forUpdate(T entity) {
        return Panache.getSession().chain(s -> s.contains(entity) && s.getLockMode(entity) == LockMode.WRITE
                ? Uni.createFrom().voidItem()
                : s.refresh(entity, LockModeType.PESSIMISTIC_WRITE)).replaceWith(entity);
    }
}
