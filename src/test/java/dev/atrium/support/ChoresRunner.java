package dev.atrium.support;

import dev.atrium.background.Chores;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Runs one round of {@link Chores} in the test application, as {@code chores} mode does in its own process: on a
 * Vert.x context of its own, the calling test thread waiting for the result. Safe from several threads at once.
 */
@ApplicationScoped
public class ChoresRunner {

    private final Chores chores;

    public ChoresRunner(Chores chores) {
        this.chores = chores;
    }

    public Chores.Round runOnce() {
        try {
            return VertxContextSupport.subscribeAndAwait(chores::runOnce);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
