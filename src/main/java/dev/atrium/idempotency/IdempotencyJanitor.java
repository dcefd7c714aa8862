package dev.atrium.idempotency;

import org.jboss.logging.Logger;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Keys are kept 24 hours; expired ones are removed in small batches so the table stays the size of a day. */
@ApplicationScoped
public class IdempotencyJanitor {

    private static final Logger LOG = Logger.getLogger(IdempotencyJanitor.class);

    @Scheduled(every = "${atrium.idempotency.purge-every:10m}", delayed = "1m",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> purge() {
        return purgeExpired().invoke(n -> {
            if (n > 0) {
                LOG.debugf("removed %d expired idempotency keys", n);
            }
        }).replaceWithVoid();
    }

    public Uni<Integer> purgeExpired() {
        return Panache.withTransaction(() -> Panache.getSession().chain(s -> s.createNativeQuery(
                "delete from idempotency_keys where ctid in (select ctid from idempotency_keys"
                        + " where expires_at < now() limit 5000)")
                .executeUpdate()));
    }
}
