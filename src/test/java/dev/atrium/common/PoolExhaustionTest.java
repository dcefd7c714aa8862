package dev.atrium.common;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.atrium.apikey.ApiKeyFormat;
import dev.atrium.common.db.BoundedPool;
import dev.atrium.common.db.PoolBounds;
import dev.atrium.common.id.Ids;
import dev.atrium.support.Api;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.config.RestAssuredConfig;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Inject;

/**
 * With every connection of the service's pool taken (here by the test itself, from the same pool), an API request that
 * needs the database is answered 503 {@code service_unavailable} with {@code Retry-After} after at most the
 * acquisition timeout, or at once when the wait queue is full (then even before its token is verified), instead of
 * hanging; requests that need no database are unaffected, work outside requests waits its turn, and the service
 * answers normally as soon as connections are free again.
 */
@QuarkusTest
class PoolExhaustionTest {

    @Inject
    Pool pool;

    @Inject
    PoolBounds bounds;

    @ConfigProperty(name = "quarkus.datasource.reactive.max-size")
    int configuredConnections;

    /** The pool's own connections: those configured, less the point reads' (BoundedPool). */
    private int poolSize;

    /** Connections the test holds; guarded by itself. */
    private final List<SqlConnection> held = new ArrayList<>();
    private boolean releasing;
    private final AtomicInteger holdsPending = new AtomicInteger();
    private final AtomicInteger waitersSettled = new AtomicInteger();
    private int waiters;

    @BeforeEach
    void sizeThePool() {
        poolSize = configuredConnections
                - BoundedPool.pointReadConnections(configuredConnections, bounds.pointReadConnections());
    }

    @AfterEach
    void releaseEverything() throws InterruptedException {
        releaseHeld();
        awaitWaiters();
    }

    @Test
    void aRequestThatFindsNoConnectionIs503WithinTheAcquisitionTimeout() throws InterruptedException {
        String token = Tokens.user(Tokens.unique("pool"));
        Api.as(token).get("/v1/workspaces").then().statusCode(200);

        holdEveryConnection();

        long started = System.nanoTime();
        Response refused = Api.as(token).config(givingUpAfter10s()).get("/v1/workspaces");
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        refused.then().statusCode(503)
                .contentType("application/problem+json")
                .header("Retry-After", "1")
                .body("code", equalTo("service_unavailable"))
                .body("status", equalTo(503));
        assertTrue(took.compareTo(bounds.acquireTimeout().minusMillis(100)) >= 0,
                "answered before the acquisition timeout ran out: " + took);
        assertTrue(took.compareTo(bounds.acquireTimeout().plusSeconds(2)) < 0, "held too long: " + took);

        // Liveness needs no connection and stays UP.
        Api.management().get("/q/health/live").then().statusCode(200);

        releaseHeld();
        Api.as(token).get("/v1/workspaces").then().statusCode(200);
    }

    @Test
    void aRequestThatFindsTheWaitQueueFullIs503AtOnce() throws InterruptedException {
        String token = Tokens.user(Tokens.unique("pool"));
        Api.as(token).get("/v1/workspaces").then().statusCode(200);

        holdEveryConnection();
        fillTheWaitQueue();

        long started = System.nanoTime();
        Response refused = Api.as(token).config(givingUpAfter10s()).get("/v1/workspaces");
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        refused.then().statusCode(503)
                .contentType("application/problem+json")
                .header("Retry-After", "1")
                .body("code", equalTo("service_unavailable"));
        assertTrue(took.compareTo(bounds.acquireTimeout()) < 0, "waited although the queue was full: " + took);

        // Refused at the door, before the token is even verified: a request without one gets the same answer.
        given().get("/v1/workspaces").then().statusCode(503)
                .contentType("application/problem+json")
                .header("Retry-After", "1")
                .header("X-Atrium-Region", "us-east-1")
                .header("Request-Id", startsWith("req_"))
                .body("code", equalTo("service_unavailable"))
                .body("instance", equalTo("/v1/workspaces"));
        Api.management().get("/q/health/live").then().statusCode(200);

        // Work that is no API request (here the test's own acquisitions) waits its turn past the timeout.
        Thread.sleep(bounds.acquireTimeout().plusMillis(300).toMillis());
        assertEquals(0, waitersSettled.get(), "a wait that is no API request was given up on");

        releaseHeld();
        awaitWaiters();
        Api.as(token).get("/v1/workspaces").then().statusCode(200);
    }

    @Test
    void anApiKeyThatCannotBeLookedUpIs503NotARefusedKey() throws InterruptedException {
        String unknownKey = ApiKeyFormat.token(Ids.generate("key", Ids.cellCode("us-east-1")),
                ApiKeyFormat.newSecret());
        Api.as(unknownKey).get("/v1/me").then().statusCode(401);

        holdEveryConnection();

        Api.as(unknownKey).config(givingUpAfter10s()).get("/v1/me").then().statusCode(503)
                .header("Retry-After", "1")
                .body("code", equalTo("service_unavailable"));

        releaseHeld();
        Api.as(unknownKey).get("/v1/me").then().statusCode(401).body("code", equalTo("unauthenticated"));
    }

    /** Without the bounds a request would wait for a connection forever: give up on it, and fail, after 10 s. */
    private static RestAssuredConfig givingUpAfter10s() {
        return RestAssured.config()
                .httpClient(RestAssured.config().getHttpClientConfig().setParam("http.socket.timeout", 10_000));
    }

    /**
     * Takes every connection the pool can give. The service holds some itself (the connection listening for finished
     * provisioning runs), so of {@code poolSize} acquisitions some stay waiting: they are closed when they arrive.
     */
    private void holdEveryConnection() throws InterruptedException {
        synchronized (held) {
            releasing = false;
        }
        for (int i = 0; i < poolSize; i++) {
            holdsPending.incrementAndGet();
            pool.getConnection().subscribe().with(c -> {
                synchronized (held) {
                    if (releasing) {
                        c.closeAndForget();
                    } else {
                        held.add(c);
                    }
                }
                holdsPending.decrementAndGet();
            }, failure -> holdsPending.decrementAndGet());
        }
        // Done when no more arrive for half a second (opening a connection takes far less).
        int seen = -1;
        int unchanged = 0;
        for (int i = 0; i < 200 && unchanged < 5; i++) {
            Thread.sleep(100);
            int now = heldCount();
            unchanged = now == seen ? unchanged + 1 : 0;
            seen = now;
        }
        assertTrue(heldCount() >= poolSize - 2, "only " + heldCount() + " of " + poolSize + " connections taken");
    }

    private int heldCount() {
        synchronized (held) {
            return held.size();
        }
    }

    /**
     * As many acquisitions as may wait (one asking the pool per connection, the rest in line), left waiting; made
     * outside any request, they wait until connections are released, and return what they get.
     */
    private void fillTheWaitQueue() {
        waiters = poolSize + bounds.maxWaiting();
        for (int i = 0; i < waiters; i++) {
            pool.getConnection().subscribe().with(c -> c.close().subscribe().with(
                    closed -> waitersSettled.incrementAndGet(), failure -> waitersSettled.incrementAndGet()),
                    failure -> waitersSettled.incrementAndGet());
        }
    }

    private void awaitWaiters() throws InterruptedException {
        for (int i = 0; i < 200 && (waitersSettled.get() < waiters || holdsPending.get() > 0); i++) {
            Thread.sleep(25);
        }
        assertEquals(waiters, waitersSettled.get(), "waiters still queued");
        assertEquals(0, holdsPending.get(), "acquisitions of the test still queued");
    }

    private void releaseHeld() {
        List<SqlConnection> taken;
        synchronized (held) {
            releasing = true;
            taken = new ArrayList<>(held);
            held.clear();
        }
        taken.forEach(c -> c.closeAndAwait());
    }
}
