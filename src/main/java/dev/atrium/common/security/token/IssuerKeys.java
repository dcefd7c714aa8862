package dev.atrium.common.security.token;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;

/**
 * The keys of one trusted issuer, loaded on first use and kept. They are loaded again when a token names a key the set
 * lacks (a rotation at the identity provider; at most once per {@code minInterval}, so a stream of tokens with made-up
 * key ids cannot turn into a stream of fetches) and when the set is older than {@code maxAge} (so a key the provider
 * removed stops working). Concurrent callers share one load. A load that fails keeps the keys already held.
 */
final class IssuerKeys {

    private static final Logger LOG = Logger.getLogger(IssuerKeys.class);

    private final TrustedIssuer issuer;
    private final KeySource source;
    private final Duration minInterval;
    private final Duration maxAge;
    private final Supplier<Instant> clock;
    private final LongAdder loads = new LongAdder();
    private final LongAdder failedLoads = new LongAdder();
    private volatile KeySet current;
    private Instant lastAttempt = Instant.EPOCH;
    private Uni<KeySet> inFlight;

    IssuerKeys(TrustedIssuer issuer, KeySource source, Duration minInterval, Duration maxAge,
            Supplier<Instant> clock) {
        this.issuer = issuer;
        this.source = source;
        this.minInterval = minInterval;
        this.maxAge = maxAge;
        this.clock = clock;
    }

    TrustedIssuer issuer() {
        return issuer;
    }

    long loads() {
        return loads.sum();
    }

    long failedLoads() {
        return failedLoads.sum();
    }

    /** The keys to verify with: those held while they are fresh, otherwise loaded again (the old ones if that fails). */
    Uni<KeySet> keys() {
        KeySet held = current;
        if (held != null && !stale(held)) {
            return Uni.createFrom().item(held);
        }
        return load(held);
    }

    /** After a token named a key the set lacks: loads again, unless a load was tried too recently. */
    Uni<KeySet> reloadForUnknownKey() {
        KeySet held = current;
        if (!source.changes() && held != null) {
            return Uni.createFrom().item(held);
        }
        return load(held);
    }

    /** Whether the key with this thumbprint is still in a fresh set (a remembered token is only as good as its key). */
    boolean stillTrusts(String thumbprint) {
        KeySet held = current;
        return held != null && !stale(held) && held.hasThumbprint(thumbprint);
    }

    private boolean stale(KeySet keys) {
        return source.changes() && !clock.get().isBefore(keys.loadedAt().plus(maxAge));
    }

    /**
     * Starts a load ahead of the first token and does not wait for it. Unlike a load asked for by a token, it does not
     * count against the reload interval: if it fails (an issuer not reachable yet), the first token tries again.
     */
    void preload() {
        Uni<KeySet> load;
        synchronized (this) {
            if (current != null || inFlight != null) {
                return;
            }
            inFlight = start();
            load = inFlight;
        }
        load.subscribe().with(loaded -> {
        }, failed -> {
        });
    }

    private Uni<KeySet> load(KeySet fallback) {
        Uni<KeySet> load;
        synchronized (this) {
            if (inFlight == null) {
                Instant now = clock.get();
                if (now.isBefore(lastAttempt.plus(minInterval))) {
                    return fallback != null ? Uni.createFrom().item(fallback)
                            : Uni.createFrom().failure(new TokenRefused("keys of issuer '" + issuer.name()
                                    + "' are not available yet"));
                }
                lastAttempt = now;
                inFlight = start();
            }
            load = inFlight;
        }
        return load.onFailure().recoverWithUni(e -> fallback != null ? Uni.createFrom().item(fallback)
                : Uni.createFrom().failure(new TokenRefused("keys of issuer '" + issuer.name()
                        + "' could not be loaded")));
    }

    private Uni<KeySet> start() {
        return source.load()
                .map(text -> KeySet.parse(text, clock.get()))
                .invoke(keys -> {
                    loads.increment();
                    KeySet before = current;
                    current = keys;
                    if (before == null || !before.thumbprints().equals(keys.thumbprints())) {
                        LOG.infof("Keys of issuer '%s' loaded from %s: %d signature key(s) %s", issuer.name(),
                                source.describe(), keys.size(), keys.keyIds());
                    }
                })
                .onFailure().invoke(e -> {
                    failedLoads.increment();
                    LOG.warnf("Keys of issuer '%s' could not be loaded from %s: %s", issuer.name(),
                            source.describe(), e.getMessage());
                })
                .onTermination().invoke(() -> {
                    synchronized (this) {
                        inFlight = null;
                    }
                })
                .memoize().indefinitely();
    }
}
