package dev.atrium.common.db;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import io.smallrye.mutiny.Uni;

/**
 * Lets a unit of database work finish even when the client goes away. A client disconnect cancels the request's
 * Uni; cancelled mid-transaction, Hibernate Reactive closes the session under a running statement. Shielded work
 * runs to commit or rollback on its own, and the result is simply not sent.
 */
public final class Shield {

    private Shield() {
    }

    public static <T> Uni<T> of(Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> {
            CompletableFuture<T> running = work.get().subscribeAsCompletionStage();
            // A dependent stage: cancelling it (on disconnect) does not cancel the work it waits for.
            return Uni.createFrom().completionStage(running.thenApply(value -> value));
        });
    }
}
