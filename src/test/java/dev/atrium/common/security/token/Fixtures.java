package dev.atrium.common.security.token;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import io.smallrye.mutiny.Uni;

/** Verifiers built from plain records, on a clock the test moves, over key sets the test publishes. */
final class Fixtures {

    private Fixtures() {
    }

    static final AtomicReference<Instant> START = new AtomicReference<>(Instant.parse("2026-06-01T12:00:00Z"));

    /** Settings as production defaults them; {@code maxTokenAge} unset. */
    static TrustSettings settings(List<TrustedIssuer> issuers, List<ServiceRule> services) {
        return settings(issuers, services, Optional.empty());
    }

    static TrustSettings settings(List<TrustedIssuer> issuers, List<ServiceRule> services,
            Optional<Duration> maxTokenAge) {
        return new TrustSettings(issuers, services, Duration.ofSeconds(30), maxTokenAge, Duration.ofSeconds(10),
                Duration.ofMinutes(5), Duration.ofSeconds(2), 1000, Duration.ofMinutes(2), "platform-admin");
    }

    static TrustedIssuer issuer(String name, TestIssuer idp, String... audiences) {
        return new TrustedIssuer(name, idp.iss, List.of(audiences), List.of("RS256"), "memory:" + name);
    }

    static ServiceRule service(String name, String issuer, Map<String, String> claims, String... scopes) {
        return new ServiceRule(name, issuer, claims, scopes.length == 0 ? Optional.empty()
                : Optional.of(java.util.Set.of(scopes)));
    }

    /** A key source that serves what its issuer publishes at the moment it is asked, and counts the asking. */
    static final class Published implements KeySource {
        final Supplier<String> jwks;
        final AtomicInteger loads = new AtomicInteger();

        Published(Supplier<String> jwks) {
            this.jwks = jwks;
        }

        @Override
        public Uni<String> load() {
            loads.incrementAndGet();
            return Uni.createFrom().item(jwks);
        }

        @Override
        public boolean changes() {
            return true;
        }

        @Override
        public String describe() {
            return "(test)";
        }
    }

    /** A verifier whose issuers' keys are those their {@link TestIssuer}s publish, on {@code clock}. */
    static final class Harness {
        final Map<String, Published> sources = new LinkedHashMap<>();
        final AtomicReference<Instant> clock = new AtomicReference<>(START.get());
        final TokenVerifier verifier;

        Harness(TrustSettings settings, Map<String, TestIssuer> idps) {
            idps.forEach((name, idp) -> sources.put(name, new Published(idp::jwks)));
            verifier = new TokenVerifier(settings, i -> sources.get(i.name()), clock::get);
        }

        Instant now() {
            return clock.get();
        }

        void advance(Duration d) {
            clock.set(clock.get().plus(d));
        }

        dev.atrium.common.security.Principal verify(String token) {
            return verifier.verify(token).await().atMost(Duration.ofSeconds(10));
        }
    }
}
