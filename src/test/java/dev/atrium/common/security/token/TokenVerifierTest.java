package dev.atrium.common.security.token;

import static dev.atrium.common.security.token.Fixtures.issuer;
import static dev.atrium.common.security.token.Fixtures.service;
import static dev.atrium.common.security.token.Fixtures.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.keys.HmacKey;
import org.junit.jupiter.api.Test;

import dev.atrium.common.security.Principal;
import io.smallrye.mutiny.Uni;

/**
 * How a token is verified: required claims, clock skew, algorithms, the maximum age, key rotation at the issuer (new
 * keys found without a restart, removed keys refused, reloads rate-limited and shared) and the verified-token cache.
 */
class TokenVerifierTest {

    private final TestIssuer idp = new TestIssuer("https://auth.atrium.example");
    private final List<TrustedIssuer> issuers = List.of(issuer("users", idp, "atrium"));
    private final List<ServiceRule> services = List.of(service("billing", "users", Map.of("client_id", "billing")));
    private final Fixtures.Harness cell = new Fixtures.Harness(settings(issuers, services), Map.of("users", idp));

    private String user(String sub) {
        return idp.sign(idp.claims("atrium", cell.now(), Map.of("sub", sub)));
    }

    private void refused(Fixtures.Harness harness, String token) {
        assertThrows(TokenRefused.class, () -> harness.verify(token));
    }

    private void refused(String token) {
        refused(cell, token);
    }

    // ---------------------------------------------------------------- claims

    @Test
    void onlyThreeBase64UrlPartsLookLikeACompactJws() {
        for (String token : List.of("a.b.c", "eyJ.eyJ.", "A-_z.09_-.x-y_Z")) {
            assertTrue(TokenVerifier.isCompactJws(token), token);
        }
        for (String token : List.of("", "a.b", "a.b.c.d", ".b.c", "a..c", "a.b.c=", "a.b.c ", "a+b.c.d", "a/b.c.d",
                "a.b.\u00e9", "a.b.c\n", "..")) {
            assertFalse(TokenVerifier.isCompactJws(token), token);
        }
    }

    @Test
    void aValidTokenIsAUser() {
        Principal p = cell.verify(user("u1"));
        assertTrue(p.isUser());
        assertEquals("u1", p.id());
    }

    @Test
    void expRequiredAndHonouredWithThirtySecondsOfSkew() {
        JwtClaims noExp = idp.claims("atrium", cell.now(), Map.of("sub", "u1"));
        noExp.unsetClaim("exp");
        refused(idp.sign(noExp));

        JwtClaims justExpired = idp.claims("atrium", cell.now().minusSeconds(300), Map.of("sub", "u1"));
        justExpired.setExpirationTime(NumericDate.fromSeconds(cell.now().getEpochSecond() - 25));
        assertTrue(cell.verify(idp.sign(justExpired)).isUser(), "25 s past exp is within the skew");

        JwtClaims expired = idp.claims("atrium", cell.now().minusSeconds(300), Map.of("sub", "u1"));
        expired.setExpirationTime(NumericDate.fromSeconds(cell.now().getEpochSecond() - 40));
        refused(idp.sign(expired));

        JwtClaims notYet = idp.claims("atrium", cell.now(), Map.of("sub", "u1"));
        notYet.setNotBefore(NumericDate.fromSeconds(cell.now().getEpochSecond() + 60));
        refused(idp.sign(notYet));
    }

    @Test
    void issuerAudienceAndSubjectMustBeRight() {
        refused(idp.sign(idp.claims("someone-else", cell.now(), Map.of("sub", "u1"))));
        JwtClaims noSub = idp.claims("atrium", cell.now(), Map.of());
        refused(idp.sign(noSub));
        JwtClaims blankSub = idp.claims("atrium", cell.now(), Map.of("sub", " "));
        refused(idp.sign(blankSub));
        JwtClaims otherIss = idp.claims("atrium", cell.now(), Map.of("sub", "u1"));
        otherIss.setIssuer("https://auth.atrium.example/"); // exact match only: a trailing slash is another issuer
        refused(idp.sign(otherIss));
    }

    @Test
    void unsignedHmacAndGarbageTokensAreRefused() throws Exception {
        JwtClaims claims = idp.claims("atrium", cell.now(), Map.of("sub", "u1"));
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        refused(b64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(claims.toJson().getBytes(StandardCharsets.UTF_8)) + ".");
        // HS256 keyed with the public key's bytes: the classic algorithm confusion.
        JsonWebSignature hmac = new JsonWebSignature();
        hmac.setPayload(claims.toJson());
        hmac.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
        hmac.setKey(new HmacKey(idp.current().pair().getPublic().getEncoded()));
        hmac.setDoKeyValidation(false);
        refused(hmac.getCompactSerialization());
        refused("not.a.jwt");
        refused("a.b");
        refused("x".repeat(TokenVerifier.MAX_TOKEN_LENGTH + 1));
        String good = user("u1");
        refused(good.substring(0, good.length() - 4) + (good.endsWith("AAAA") ? "BBBB" : "AAAA"));
    }

    // ---------------------------------------------------------------- maximum token age

    @Test
    void maximumTokenAgeRequiresARecentIat() {
        Fixtures.Harness strict = new Fixtures.Harness(settings(issuers, services, Optional.of(Duration.ofHours(1))),
                Map.of("users", idp));
        JwtClaims fresh = idp.claims("atrium", strict.now(), Map.of("sub", "u1"));
        assertTrue(strict.verify(idp.sign(fresh)).isUser());

        JwtClaims old = idp.claims("atrium", strict.now(), Map.of("sub", "u1"));
        old.setIssuedAt(NumericDate.fromSeconds(strict.now().getEpochSecond() - 2 * 3600));
        refused(strict, idp.sign(old));
        assertTrue(cell.verify(idp.sign(old)).isUser(), "unset, any age until exp is accepted");

        JwtClaims noIat = idp.claims("atrium", strict.now(), Map.of("sub", "u2"));
        noIat.unsetClaim("iat");
        refused(strict, idp.sign(noIat));

        JwtClaims future = idp.claims("atrium", strict.now(), Map.of("sub", "u3"));
        future.setIssuedAt(NumericDate.fromSeconds(strict.now().getEpochSecond() + 120));
        refused(strict, idp.sign(future));
    }

    @Test
    void aRememberedTokenStillAgesOut() {
        Fixtures.Harness strict = new Fixtures.Harness(settings(issuers, services, Optional.of(Duration.ofMinutes(1))),
                Map.of("users", idp));
        String token = idp.sign(idp.claims("atrium", strict.now(), Map.of("sub", "u1")));
        strict.verify(token);
        strict.advance(Duration.ofSeconds(95)); // past the age and its skew, well before exp
        refused(strict, token);
    }

    // ---------------------------------------------------------------- keys

    @Test
    void aRotatedKeyIsFoundWithoutRestartAndARemovedOneStopsWorking() {
        Fixtures.Published source = cell.sources.get("users");
        TestIssuer.SigningKey first = idp.current();
        String before = user("u1");
        cell.verify(before);
        assertEquals(1, source.loads.get());

        cell.advance(Duration.ofSeconds(11));
        idp.rotate();
        String after = user("u2");
        assertEquals("u2", cell.verify(after).id(), "a token naming an unknown key reloads the keys once");
        assertEquals(2, source.loads.get());
        assertEquals("u1", cell.verify(before).id(), "the old key is still published");

        idp.unpublish(first);
        cell.advance(Duration.ofMinutes(5)); // the key set's maximum age
        refused(before);
        assertEquals(3, source.loads.get());
        assertEquals("u2", cell.verify(after).id());
    }

    @Test
    void unknownKeysReloadAtMostOncePerIntervalAndAreRefused() {
        Fixtures.Published source = cell.sources.get("users");
        cell.verify(user("u1"));
        assertEquals(1, source.loads.get());
        TestIssuer.SigningKey forged = new TestIssuer.SigningKey("made-up", TestIssuer.generate());
        for (int i = 0; i < 20; i++) {
            refused(TestIssuer.sign(idp.claims("atrium", cell.now(), Map.of("sub", "u" + i)),
                    new TestIssuer.SigningKey("made-up-" + i, forged.pair())));
        }
        assertEquals(1, source.loads.get(), "within 10 s of the last load, no reload");
        cell.advance(Duration.ofSeconds(10));
        refused(TestIssuer.sign(idp.claims("atrium", cell.now(), Map.of("sub", "x")), forged));
        assertEquals(2, source.loads.get());
        refused(TestIssuer.sign(idp.claims("atrium", cell.now(), Map.of("sub", "y")), forged));
        assertEquals(2, source.loads.get());
    }

    @Test
    void concurrentFirstRequestsShareOneLoad() {
        java.util.concurrent.atomic.AtomicInteger loads = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CompletableFuture<String> published = new java.util.concurrent.CompletableFuture<>();
        KeySource slow = changing("slow", () -> {
            loads.incrementAndGet();
            return Uni.createFrom().completionStage(published);
        });
        TokenVerifier verifier = new TokenVerifier(settings(issuers, services), i -> slow, cell.clock::get);
        List<java.util.concurrent.CompletableFuture<Principal>> pending = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            pending.add(verifier.verify(user("u" + i)).subscribeAsCompletionStage());
        }
        published.complete(idp.jwks());
        for (int i = 0; i < 20; i++) {
            assertEquals("u" + i, pending.get(i).join().id());
        }
        assertEquals(1, loads.get());
    }

    @Test
    void aFailingKeySourceRefusesWithoutHangingAndKeepsTheKeysItHad() {
        java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean();
        KeySource flaky = changing("flaky", () -> down.get()
                ? Uni.createFrom().failure(new IllegalStateException("503"))
                : Uni.createFrom().item(idp.jwks()));
        TokenVerifier verifier = new TokenVerifier(settings(issuers, services), i -> flaky, cell.clock::get);
        down.set(true);
        assertThrows(TokenRefused.class, () -> verifier.verify(user("u0")).await().atMost(Duration.ofSeconds(2)));
        cell.advance(Duration.ofSeconds(11));
        down.set(false);
        assertEquals("u1", verifier.verify(user("u1")).await().atMost(Duration.ofSeconds(2)).id());
        down.set(true);
        cell.advance(Duration.ofMinutes(6)); // stale, and the reload fails: the held keys still serve
        assertEquals("u2", verifier.verify(user("u2")).await().atMost(Duration.ofSeconds(2)).id());
    }

    @Test
    void preloadedKeysServeTheFirstTokenWithoutAnotherLoad() {
        java.util.concurrent.atomic.AtomicInteger loads = new java.util.concurrent.atomic.AtomicInteger();
        KeySource counted = changing("counted", () -> {
            loads.incrementAndGet();
            return Uni.createFrom().item(idp.jwks());
        });
        TokenVerifier verifier = new TokenVerifier(settings(issuers, services), i -> counted, cell.clock::get);
        verifier.preload();
        assertEquals(1, loads.get());
        verifier.preload(); // keys held: nothing more
        assertEquals("u0", verifier.verify(user("u0")).await().atMost(Duration.ofSeconds(2)).id());
        assertEquals(1, loads.get());
    }

    @Test
    void aFailedPreloadDoesNotHoldTheFirstTokenBack() {
        java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger loads = new java.util.concurrent.atomic.AtomicInteger();
        KeySource late = changing("late", () -> {
            loads.incrementAndGet();
            return down.get() ? Uni.createFrom().failure(new IllegalStateException("connection refused"))
                    : Uni.createFrom().item(idp.jwks());
        });
        TokenVerifier verifier = new TokenVerifier(settings(issuers, services), i -> late, cell.clock::get);
        verifier.preload(); // the issuer is not up yet
        down.set(false);
        // No time has passed, yet the first token loads the keys itself: a preload is not a token's attempt.
        assertEquals("u0", verifier.verify(user("u0")).await().atMost(Duration.ofSeconds(2)).id());
        assertEquals(2, loads.get());
    }

    /** A key source that may give other keys on every load, as a JWKS URL does. */
    private static KeySource changing(String name, java.util.function.Supplier<Uni<String>> load) {
        return new KeySource() {
            @Override
            public Uni<String> load() {
                return load.get();
            }

            @Override
            public boolean changes() {
                return true;
            }

            @Override
            public String describe() {
                return "(" + name + ")";
            }
        };
    }

    // ---------------------------------------------------------------- cache

    @Test
    void theSameTokenIsVerifiedOnceThenRememberedUntilItsExpiry() {
        JwtClaims claims = idp.claims("atrium", cell.now(), Map.of("sub", "u1"));
        claims.setExpirationTime(NumericDate.fromSeconds(cell.now().getEpochSecond() + 60));
        String token = idp.sign(claims);
        cell.verify(token);
        cell.verify(token);
        cell.verify(token);
        assertEquals(1, cell.verifier.verifiedCount());
        assertEquals(2, cell.verifier.rememberedCount());

        cell.advance(Duration.ofSeconds(61)); // past exp: the entry is gone, verification runs (and allows the skew)
        cell.verify(token);
        assertEquals(2, cell.verifier.verifiedCount());
        cell.advance(Duration.ofSeconds(30));
        refused(token);
    }

    @Test
    void eachRememberedTokenStandsForItsOwnCallerWhateverThreadAsks() throws Exception {
        // The cache's key is computed on whichever thread the request runs (each keeps its own digest): tokens asked
        // for from many threads at once must each come back as their own caller, verified once.
        int users = 40;
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            tokens.add(user("u" + i));
        }
        for (String token : tokens) {
            cell.verify(token);
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> seen = new ArrayList<>();
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < users; i++) {
                    String token = tokens.get(i);
                    seen.add(pool.submit(() -> cell.verify(token).id()));
                }
            }
            for (int k = 0; k < seen.size(); k++) {
                assertEquals("u" + (k % users), seen.get(k).get(10, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(users, cell.verifier.verifiedCount());
        assertEquals(users * 20L, cell.verifier.rememberedCount());
    }

    @Test
    void rememberedNoLongerThanTheCachesLimit() {
        String token = user("u1"); // exp in ten minutes, the cache keeps two
        cell.verify(token);
        cell.advance(Duration.ofMinutes(2));
        cell.verify(token);
        assertEquals(2, cell.verifier.verifiedCount());
    }

    @Test
    void theCacheIsBounded() {
        TrustSettings small = new TrustSettings(issuers, services, Duration.ofSeconds(30), Optional.empty(),
                Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofSeconds(2), 10, Duration.ofMinutes(2),
                "platform-admin");
        Fixtures.Harness harness = new Fixtures.Harness(small, Map.of("users", idp));
        for (int i = 0; i < 50; i++) {
            harness.verify(idp.sign(idp.claims("atrium", harness.now(), Map.of("sub", "u" + i))));
            assertTrue(harness.verifier.rememberedTokens() <= 10, "size " + harness.verifier.rememberedTokens());
        }
        assertEquals(50, harness.verifier.verifiedCount());
    }

    @Test
    void aCacheSizeOfZeroTurnsItOff() {
        TrustSettings off = new TrustSettings(issuers, services, Duration.ofSeconds(30), Optional.empty(),
                Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofSeconds(2), 0, Duration.ofMinutes(2),
                "platform-admin");
        Fixtures.Harness harness = new Fixtures.Harness(off, Map.of("users", idp));
        String token = idp.sign(idp.claims("atrium", harness.now(), Map.of("sub", "u1")));
        harness.verify(token);
        harness.verify(token);
        assertEquals(2, harness.verifier.verifiedCount());
        assertEquals(0, harness.verifier.rememberedTokens());
    }
}
