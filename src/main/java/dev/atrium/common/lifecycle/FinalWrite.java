package dev.atrium.common.lifecycle;

import java.time.Duration;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;

/**
 * The last write of counters kept in memory, at shutdown. Quarkus runs shutdown observers on the main thread, and the
 * database pool closes after them, so the stop waits for the write there. On an event-loop thread (never the case
 * today) waiting would stall the loop: the write is then started and not waited for.
 */
public final class FinalWrite {

    private static final Logger LOG = Logger.getLogger(FinalWrite.class);

    private FinalWrite() {
    }

    public static void await(Uni<Void> write, Duration timeout) {
        if (Context.isOnEventLoopThread()) {
            write.subscribe().with(ok -> {
            }, failure -> LOG.warnf("final write failed: %s", failure.toString()));
            return;
        }
        write.await().atMost(timeout);
    }
}
