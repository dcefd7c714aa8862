package dev.atrium.provisioning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;

/** A request waiting for a run reads its status when it starts, when it is woken and when its time is up; not between. */
@QuarkusTest
class RunWaitersTest {

    @Inject
    RunWaiters waiters;

    @Inject
    MeterRegistry metrics;

    @Inject
    Db db;

    @Test
    void aWaiterIsWokenByTheNotificationOfTheRunsLastCommitWhicheverInstanceMadeIt() throws Exception {
        Map<String, Object> ws = Api.activeWorkspace(Tokens.user(Tokens.unique("waiter")));
        Object runId = ws.get("provisioning_run_id");
        // As if the run were still being driven by another replica.
        db.rows("update provisioning_runs set status = 'running', finished_at = null,"
                + " lease_owner = 'another-replica', lease_until = now() + interval '1 minute' where id = $1", runId);
        awaitListening();
        double before = reads();
        CompletableFuture<String> waiting = waiters.awaitFinished((String) runId, Instant.now().plusSeconds(20))
                .subscribeAsCompletionStage();
        Thread.sleep(1500);
        assertFalse(waiting.isDone(), "finished while the run was running");
        assertEquals(1, reads() - before, "status reads while nothing happened");

        // The other replica finishes the run: its commit notifies.
        db.rows("with done as (update provisioning_runs set status = 'succeeded', finished_at = now(),"
                + " lease_owner = null, lease_until = null where id = $1 returning id)"
                + " select pg_notify('atrium_run_finished', id) from done", runId);
        assertEquals("succeeded", waiting.get(10, TimeUnit.SECONDS));
        assertEquals(2, reads() - before, "status reads: one on arrival, one when woken");
    }

    @Test
    void aWaiterWhoseTimeRunsOutAnswersTheStatusAsItIs() throws Exception {
        Map<String, Object> ws = Api.activeWorkspace(Tokens.user(Tokens.unique("waiter2")));
        Object runId = ws.get("provisioning_run_id");
        db.rows("update provisioning_runs set status = 'running', finished_at = null,"
                + " lease_owner = 'another-replica', lease_until = now() + interval '1 minute' where id = $1", runId);
        awaitListening();
        String status = waiters.awaitFinished((String) runId, Instant.now().plusMillis(800)).subscribeAsCompletionStage()
                .get(10, TimeUnit.SECONDS);
        assertEquals("running", status);
        db.rows("update provisioning_runs set status = 'succeeded', finished_at = now(), lease_owner = null,"
                + " lease_until = null where id = $1", runId);
    }

    private double reads() {
        return metrics.counter("atrium.provisioning.wait.reads").count();
    }

    private void awaitListening() throws InterruptedException {
        for (int i = 0; i < 100 && !waiters.listening(); i++) {
            Thread.sleep(50);
        }
        assertTrue(waiters.listening(), "the instance listens for finished runs");
    }
}
