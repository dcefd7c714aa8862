package dev.atrium.common.security.token;

import static dev.atrium.common.security.token.Fixtures.issuer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;

/**
 * The real key sources, without Quarkus: a JWKS over HTTP from a local server (served, failing, stalling, too large),
 * a file that is rewritten, and a key given inline. An issuer whose keys cannot be had refuses its tokens within the
 * fetch deadline; it never holds a request.
 */
class KeySourceTest {

    /** How long a key server may take: generous, so a cold first request on a busy machine is not refused. */
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    /** The deadline the stall test waits out. */
    private static final Duration SHORT = Duration.ofMillis(500);
    private static Vertx vertx;
    private static HttpClient client;
    private static HttpServer server;
    private static ExecutorService serverThreads;
    private static final CountDownLatch RELEASE = new CountDownLatch(1);
    private static final AtomicReference<String> JWKS = new AtomicReference<>();

    private final TestIssuer idp = new TestIssuer("https://auth.atrium.example");

    @BeforeAll
    static void start() throws IOException {
        vertx = Vertx.vertx();
        client = KeySource.client(vertx, TIMEOUT);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        serverThreads = Executors.newCachedThreadPool();
        server.setExecutor(serverThreads);
        server.createContext("/jwks", exchange -> {
            respond(exchange, 200, JWKS.get());
        });
        server.createContext("/error", exchange -> respond(exchange, 503, "{\"error\":\"unavailable\"}"));
        server.createContext("/big", exchange -> respond(exchange, 200, "{\"keys\":[" + " ".repeat(1 << 21) + "]}"));
        server.createContext("/stall", exchange -> {
            try {
                RELEASE.await(30, TimeUnit.SECONDS); // accepts the request, then says nothing
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            respond(exchange, 200, "{}");
        });
        server.start();
    }

    @AfterAll
    static void stop() {
        RELEASE.countDown();
        server.stop(0);
        serverThreads.shutdownNow();
        client.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    private static KeySource source(String keys) {
        return source(keys, TIMEOUT);
    }

    private static KeySource source(String keys, Duration timeout) {
        return KeySource.of(keys, vertx, client, timeout);
    }

    private TokenVerifier verifierOver(String keys) {
        return verifierOver(keys, TIMEOUT);
    }

    private TokenVerifier verifierOver(String keys, Duration timeout) {
        TrustedIssuer users = new TrustedIssuer("users", idp.iss, List.of("atrium"), List.of("RS256"), keys);
        TrustSettings settings = Fixtures.settings(List.of(users), List.of());
        return new TokenVerifier(settings, i -> source(i.keys(), timeout), Instant::now);
    }

    private String token(String sub) {
        return idp.sign(idp.claims("atrium", Instant.now(), Map.of("sub", sub)));
    }

    @Test
    void aJwksUrlIsFetched() {
        JWKS.set(idp.jwks());
        KeySource source = source(url("/jwks"));
        assertInstanceOf(KeySource.Url.class, source);
        KeySet keys = KeySet.parse(source.load().await().atMost(Duration.ofSeconds(5)), Instant.now());
        assertEquals(List.of(idp.current().kid()), keys.keyIds());
        assertEquals("u1", verifierOver(url("/jwks")).verify(token("u1")).await().atMost(Duration.ofSeconds(5)).id());
    }

    @Test
    void aKeySetServerThatStallsIsGivenUpAfterTheDeadline() {
        long started = System.nanoTime();
        assertThrows(RuntimeException.class,
                () -> source(url("/stall"), SHORT).load().await().atMost(Duration.ofSeconds(5)));
        TokenVerifier verifier = verifierOver(url("/stall"), SHORT);
        assertThrows(TokenRefused.class, () -> verifier.verify(token("u1")).await().atMost(Duration.ofSeconds(5)));
        long elapsed = Duration.ofNanos(System.nanoTime() - started).toMillis();
        assertTrue(elapsed < 3_000, "refused after " + elapsed + " ms");
    }

    @Test
    void aFailingOrOversizedKeySetIsRefused() {
        assertThrows(RuntimeException.class, () -> source(url("/error")).load().await().atMost(Duration.ofSeconds(5)));
        assertThrows(RuntimeException.class, () -> source(url("/big")).load().await().atMost(Duration.ofSeconds(5)));
        assertThrows(TokenRefused.class,
                () -> verifierOver(url("/error")).verify(token("u1")).await().atMost(Duration.ofSeconds(5)));
        assertThrows(RuntimeException.class, () -> source("http://127.0.0.1:1/jwks").load()
                .await().atMost(Duration.ofSeconds(5)));
    }

    @Test
    void aKeyFileIsReadAgainWhenATokenNamesANewKey() throws Exception {
        Path file = Files.createTempFile("atrium-jwks-", ".json");
        try {
            Files.writeString(file, idp.jwks());
            assertInstanceOf(KeySource.File.class, source(file.toString()));
            TrustedIssuer users = issuer("users", idp, "atrium");
            AtomicReference<Instant> clock = new AtomicReference<>(Instant.now());
            TokenVerifier verifier = new TokenVerifier(Fixtures.settings(List.of(users), List.of()),
                    i -> source(file.toString()), clock::get);
            assertEquals("u1", verifier.verify(token("u1")).await().atMost(Duration.ofSeconds(5)).id());
            idp.rotate();
            Files.writeString(file, idp.jwks()); // what a rotated, mounted Secret looks like
            clock.set(clock.get().plusSeconds(11));
            assertEquals("u2", verifier.verify(token("u2")).await().atMost(Duration.ofSeconds(5)).id());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void keysGivenInlineAsPemOrBase64OrJwks() {
        var pub = idp.current().pair().getPublic();
        String base64 = java.util.Base64.getEncoder().encodeToString(pub.getEncoded());
        String pem = "-----BEGIN PUBLIC KEY-----\n" + java.util.Base64.getMimeEncoder(64, "\n".getBytes())
                .encodeToString(pub.getEncoded()) + "\n-----END PUBLIC KEY-----\n";
        for (String keys : List.of(base64, pem, idp.jwks())) {
            assertInstanceOf(KeySource.Inline.class, source(keys));
            assertEquals("u1", verifierOver(keys).verify(token("u1")).await().atMost(Duration.ofSeconds(5)).id());
        }
        assertInstanceOf(KeySource.File.class, source("/etc/atrium/jwt/public.pem"));
        assertInstanceOf(KeySource.File.class, source("file:relative/jwks.json"));
    }

    @Test
    void encryptionKeysInAJwksAreNotSignatureKeys() {
        String mixed = idp.jwks().replace("\"use\":\"sig\"", "\"use\":\"enc\"");
        assertThrows(IllegalArgumentException.class, () -> KeySet.parse(mixed, Instant.now()));
        assertThrows(IllegalArgumentException.class, () -> KeySet.parse("not a key", Instant.now()));
    }
}
