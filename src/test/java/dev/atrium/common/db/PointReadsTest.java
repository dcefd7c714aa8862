package dev.atrium.common.db;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Metrics;
import dev.atrium.support.Tokens;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;

/**
 * The point reads: many statements at once over their few pipelined connections, each answered with its own rows,
 * and no more in flight than the bound, the next one refused at once.
 */
@QuarkusTest
class PointReadsTest {

    @Inject
    BoundedPool bounded;

    @Inject
    Pool pool;

    @Inject
    PoolBounds bounds;

    @Inject
    PointReads pointReads;

    @ConfigProperty(name = "quarkus.datasource.reactive.max-size")
    int configuredConnections;

    /** Point reads of this service's own connections, with at most {@code maxInFlight} in flight. */
    private PointReads boundedTo(int maxInFlight) {
        PoolBounds tight = new PoolBounds() {
            @Override
            public Duration acquireTimeout() {
                return bounds.acquireTimeout();
            }

            @Override
            public int maxWaiting() {
                return maxInFlight;
            }

            @Override
            public int pointReadConnections() {
                return bounds.pointReadConnections();
            }
        };
        return new PointReads(bounded, pool, tight, new SimpleMeterRegistry());
    }

    /** The point reads' connections have metrics of their own beside the pool's (they clashed, and went unseen). */
    @Test
    void thePointReadsConnectionsAreMeasuredApartFromThePool() {
        Api.as(Tokens.user(Tokens.unique("pr-metrics"))).get("/v1/me").then().statusCode(200);
        List<String> queues = Metrics.scrape().lines().filter(l -> l.startsWith("sql_pool_queue_size{")).toList();
        assertTrue(queues.stream().anyMatch(l -> l.contains("pool_name=\"" + BoundedPool.POINT_READS_NAME + "\"")),
                queues::toString);
        assertTrue(queues.stream().anyMatch(l -> !l.contains(BoundedPool.POINT_READS_NAME)), queues::toString);
    }

    @Test
    void aReadBeyondTheBoundIsRefusedAtOnceAndTheNextOneAfterAnAnswerIsServed() throws Exception {
        PointReads reads = boundedTo(1);
        CompletableFuture<RowSet<Row>> slow = reads.execute("select pg_sleep(0.5)", Tuple.tuple())
                .subscribeAsCompletionStage();
        long asked = System.nanoTime();
        Throwable refused = assertThrows(Throwable.class,
                () -> reads.execute("select 1", Tuple.tuple()).await().atMost(Duration.ofSeconds(5)));
        assertInstanceOf(PoolExhaustedException.class, refused);
        assertTrue(BoundedPool.exhausted(refused), "answered 503 service_unavailable like an exhausted pool");
        assertTrue(!slow.isDone() && System.nanoTime() - asked < TimeUnit.MILLISECONDS.toNanos(400),
                "refused while the first read was still out, not after waiting for it");
        slow.get(5, TimeUnit.SECONDS);
        assertEquals(7, reads.execute("select $1::int", Tuple.of(7)).await().atMost(Duration.ofSeconds(5))
                .iterator().next().getInteger(0));
    }

    @Test
    void statementsSentAtOnceEachGetTheirOwnRows() {
        List<CompletableFuture<RowSet<Row>>> sent = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            sent.add(pointReads.execute("select $1::int, pg_backend_pid()", Tuple.of(i)).subscribeAsCompletionStage());
        }
        Set<Integer> backends = new HashSet<>();
        for (int i = 0; i < sent.size(); i++) {
            Row row = sent.get(i).join().iterator().next();
            assertEquals(i, row.getInteger(0));
            backends.add(row.getInteger(1));
        }
        int connections = BoundedPool.pointReadConnections(configuredConnections, bounds.pointReadConnections());
        assertTrue(backends.size() <= connections,
                "100 reads over at most " + connections + " connections: " + backends);
    }

    /** Users reading their own workspaces side by side each get their own; none gets another's. */
    @Test
    void parallelReadsOfWorkspacesAnswerEachCallerWithTheirOwn() throws Exception {
        int users = 4;
        List<String> tokens = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            String token = Tokens.user(Tokens.unique("point"));
            Map<String, Object> ws = Api.activeWorkspace(token);
            tokens.add(token);
            ids.add((String) ws.get("id"));
        }
        ExecutorService callers = Executors.newFixedThreadPool(16);
        try {
            List<Future<Void>> calls = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int caller = i % users;
                int asked = (i / users) % users;
                calls.add(callers.submit(() -> {
                    Response r = Api.as(tokens.get(caller)).get("/v1/workspaces/" + ids.get(asked));
                    if (caller == asked) {
                        r.then().statusCode(200).body("id", equalTo(ids.get(asked)));
                    } else {
                        r.then().statusCode(404).body("code", equalTo("not_found"));
                    }
                    return null;
                }));
            }
            for (Future<Void> call : calls) {
                call.get(60, TimeUnit.SECONDS);
            }
        } finally {
            callers.shutdownNow();
        }
    }
}
