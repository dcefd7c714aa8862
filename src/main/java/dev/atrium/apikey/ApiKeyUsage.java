package dev.atrium.apikey;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

import dev.atrium.common.lifecycle.FinalWrite;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * {@code last_used_at} without a write per request: each use only records the latest instant per key in memory; a
 * scheduled flush writes all of them in one statement every few seconds, and once more on shutdown.
 */
@ApplicationScoped
public class ApiKeyUsage {

    private static final Logger LOG = Logger.getLogger(ApiKeyUsage.class);
    private static final String FLUSH = "update api_keys k set last_used_at = u.at"
            + " from unnest($1::text[], $2::timestamptz[]) as u(id, at)"
            + " where k.id = u.id and (k.last_used_at is null or k.last_used_at < u.at)";

    private final Map<String, Instant> pending = new ConcurrentHashMap<>();
    private final Pool pool;

    public ApiKeyUsage(Pool pool) {
        this.pool = pool;
    }

    void touch(String keyId, Instant at) {
        pending.merge(keyId, at, (a, b) -> a.isAfter(b) ? a : b);
    }

    @Scheduled(every = "${atrium.api-keys.last-used-flush-every:5s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> flush() {
        if (pending.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<String> ids = new ArrayList<>();
        List<OffsetDateTime> ats = new ArrayList<>();
        for (String id : List.copyOf(pending.keySet())) {
            Instant at = pending.remove(id);
            if (at != null) {
                ids.add(id);
                ats.add(at.atOffset(ZoneOffset.UTC));
            }
        }
        return pool.preparedQuery(FLUSH)
                .execute(Tuple.of(ids.toArray(String[]::new), ats.toArray(OffsetDateTime[]::new)))
                .replaceWithVoid()
                .onFailure().invoke(e -> {
                    // Put the uses back (unless a newer one arrived meanwhile) for the next flush.
                    for (int i = 0; i < ids.size(); i++) {
                        touch(ids.get(i), ats.get(i).toInstant());
                    }
                    LOG.warnf("api key last_used_at flush of %d keys failed: %s", ids.size(), e.getClass().getName());
                });
    }

    /**
     * The last flush. Shutdown observers run on the main thread, not an event loop, and the pool closes after
     * them, so waiting here is what keeps the final uses from being lost.
     */
    void onStop(@Observes ShutdownEvent event) {
        try {
            FinalWrite.await(flush(), Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            LOG.warnf("api key last_used_at final flush failed: %s", e.getClass().getName());
        }
    }
}
