package dev.atrium.common.security.token;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;

import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.NumericDate;
import org.jose4j.jwt.consumer.ErrorCodes;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.jwt.consumer.JwtContext;

import dev.atrium.common.security.Principal;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Verifies a bearer JWT against the issuer it names and turns it into Atrium's principal.
 * <ol>
 * <li>A token verified before and still valid is answered from {@link VerifiedTokens}.</li>
 * <li>Otherwise it is read without trusting it, only to learn its {@code iss}, {@code alg} and {@code kid}; an
 * {@code iss} that is not exactly a trusted issuer's, or an algorithm that issuer does not use, ends it there.</li>
 * <li>The issuer's keys ({@link IssuerKeys}) that match the token are tried; when none does, the keys are loaded again
 * once (a rotation), within a deadline, so an unknown key is a refusal and never a wait without end.</li>
 * <li>The signature, {@code exp} (required), {@code nbf}, the audience, the issuer and, when a maximum token age is
 * set, {@code iat} are checked with the configured clock skew; then {@link Recognition} decides user or service.</li>
 * </ol>
 * Every failure is a {@link TokenRefused}; the caller answers each with the same 401.
 */
public final class TokenVerifier {

    /** Larger tokens are refused unread; real ones are a few kilobytes. */
    static final int MAX_TOKEN_LENGTH = 16 * 1024;
    private static final JwtConsumer UNVERIFIED = new JwtConsumerBuilder().setSkipAllValidators()
            .setDisableRequireSignature().setSkipSignatureVerification().build();

    private final TrustSettings settings;
    private final Map<String, IssuerKeys> keysByIss = new LinkedHashMap<>();
    private final Recognition recognition;
    private final VerifiedTokens cache;
    private final Supplier<Instant> clock;
    private final LongAdder verified = new LongAdder();
    private final LongAdder remembered = new LongAdder();
    private final LongAdder refused = new LongAdder();

    public TokenVerifier(TrustSettings settings, Function<TrustedIssuer, KeySource> sources, Supplier<Instant> clock) {
        this.settings = settings;
        this.clock = clock;
        for (TrustedIssuer issuer : settings.issuers()) {
            keysByIss.put(issuer.issuer(), new IssuerKeys(issuer, sources.apply(issuer),
                    settings.keyRefreshMinInterval(), settings.keySetMaxAge(), clock));
        }
        this.recognition = new Recognition(settings.services(), settings.platformAdminGroup());
        this.cache = new VerifiedTokens(settings.cacheMaxEntries());
    }

    /**
     * Starts loading every issuer's keys without waiting for them, so the first token need not wait for them (a cell woken
     * from zero by a request answers it sooner). A load that fails here is logged and tried again by the first token.
     */
    public void preload() {
        keysByIss.values().forEach(IssuerKeys::preload);
    }

    /** The principal the token stands for; fails with {@link TokenRefused} for anything not to be trusted. */
    public Uni<Principal> verify(String token) {
        if (token == null || token.length() > MAX_TOKEN_LENGTH) {
            return refuse(new TokenRefused("not a compact JWS"));
        }
        // A token remembered is one verified before, so it is a compact JWS: its shape is checked only on a miss.
        Instant now = clock.get();
        String hash = VerifiedTokens.hash(token);
        VerifiedTokens.Entry hit = cache.get(hash, now);
        if (hit != null && keysByIss.get(hit.issuer()).stillTrusts(hit.keyThumbprint())) {
            remembered.increment();
            return Uni.createFrom().item(hit.principal());
        }
        if (!isCompactJws(token)) {
            return refuse(new TokenRefused("not a compact JWS"));
        }
        JwtContext unverified;
        JsonWebSignature jws;
        IssuerKeys keys;
        try {
            unverified = UNVERIFIED.process(token);
            if (unverified.getJoseObjects().size() != 1
                    || !(unverified.getJoseObjects().get(0) instanceof JsonWebSignature signature)) {
                return refuse(new TokenRefused("not a signed JWT"));
            }
            jws = signature;
            keys = keysByIss.get(unverified.getJwtClaims().getIssuer());
        } catch (InvalidJwtException | MalformedClaimException e) {
            return refuse(new TokenRefused("unreadable: " + e.getMessage()));
        }
        if (keys == null) {
            return refuse(new TokenRefused("untrusted issuer"));
        }
        TrustedIssuer issuer = keys.issuer();
        if (!issuer.algorithms().contains(jws.getAlgorithmHeaderValue())) {
            return refuse(new TokenRefused("algorithm " + jws.getAlgorithmHeaderValue() + " not accepted from issuer '"
                    + issuer.name() + "'"));
        }
        Context caller = Vertx.currentContext();
        return backOn(caller, keys.keys().chain(set -> {
            List<PublicJsonWebKey> candidates = set.candidates(jws);
            return candidates.isEmpty() ? keys.reloadForUnknownKey().map(reloaded -> reloaded.candidates(jws))
                    : Uni.createFrom().item(candidates);
        })).map(candidates -> check(token, hash, issuer, candidates))
                .onFailure().transform(e -> {
                    refused.increment();
                    return e instanceof TokenRefused ? e : new TokenRefused(e.getMessage());
                });
    }

    /**
     * Three base64url parts joined by dots, the first two not empty ({@code [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*}).
     * Checked by hand, on every token not remembered: a regular expression was a tenth of a read's CPU.
     */
    static boolean isCompactJws(String token) {
        int dots = 0;
        int partLength = 0;
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c == '.') {
                if (partLength == 0 || ++dots > 2) {
                    return false;
                }
                partLength = 0;
            } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
                    || c == '_') {
                partLength++;
            } else {
                return false;
            }
        }
        return dots == 2;
    }

    private Principal check(String token, String hash, TrustedIssuer issuer, List<PublicJsonWebKey> candidates) {
        if (candidates.isEmpty()) {
            throw new TokenRefused("no key of issuer '" + issuer.name() + "' matches the token");
        }
        Instant now = clock.get();
        InvalidJwtException last = null;
        for (PublicJsonWebKey key : candidates) {
            try {
                JwtClaims claims = consumer(issuer, key, now).processToClaims(token);
                Principal principal = recognition.principal(issuer, claims);
                cache.put(hash, new VerifiedTokens.Entry(principal, issuer.issuer(), KeySet.thumbprint(key),
                        rememberUntil(claims, now)), now);
                verified.increment();
                return principal;
            } catch (InvalidJwtException e) {
                last = e;
                if (!e.hasErrorCode(ErrorCodes.SIGNATURE_INVALID)) {
                    break; // the signature held; a claim did not, and another key will not change that
                }
            }
        }
        throw new TokenRefused(last == null ? "refused" : last.getMessage());
    }

    private JwtConsumer consumer(TrustedIssuer issuer, PublicJsonWebKey key, Instant now) {
        int skew = (int) settings.clockSkew().toSeconds();
        JwtConsumerBuilder builder = new JwtConsumerBuilder()
                .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT,
                        issuer.algorithms().toArray(String[]::new))
                .setVerificationKey(key.getKey())
                .setExpectedIssuer(issuer.issuer())
                .setExpectedAudience(issuer.audiences().toArray(String[]::new))
                .setRequireExpirationTime()
                .setRequireSubject()
                .setAllowedClockSkewInSeconds(skew)
                .setEvaluationTime(NumericDate.fromMilliseconds(now.toEpochMilli()));
        // jose4j widens both bounds by the clock skew itself.
        settings.maxTokenAge().ifPresent(age -> builder.setRequireIssuedAt()
                .setIssuedAtRestrictions(0, (int) Math.min(Integer.MAX_VALUE, age.toSeconds())));
        return builder.build();
    }

    /** Never past {@code exp}, nor past the maximum age, nor longer than the cache's own limit. */
    private Instant rememberUntil(JwtClaims claims, Instant now) {
        Instant until = now.plus(settings.cacheMaxTtl());
        try {
            Instant exp = Instant.ofEpochSecond(claims.getExpirationTime().getValue());
            until = exp.isBefore(until) ? exp : until;
            if (settings.maxTokenAge().isPresent()) {
                Instant oldest = Instant.ofEpochSecond(claims.getIssuedAt().getValue()).plus(settings.maxTokenAge().get());
                until = oldest.isBefore(until) ? oldest : until;
            }
        } catch (MalformedClaimException e) {
            return now;
        }
        return until;
    }

    private <T> Uni<T> refuse(TokenRefused reason) {
        refused.increment();
        return Uni.createFrom().failure(reason);
    }

    /**
     * A shared key load completes on the context of the request that started it; every other waiting request is
     * continued on its own context again, as Quarkus expects of an authentication step.
     */
    private static <T> Uni<T> backOn(Context caller, Uni<T> uni) {
        if (caller == null) {
            return uni;
        }
        return uni.emitOn(task -> {
            if (Vertx.currentContext() == caller) {
                task.run();
            } else {
                caller.runOnContext(ignored -> task.run());
            }
        });
    }

    public long verifiedCount() {
        return verified.sum();
    }

    public long rememberedCount() {
        return remembered.sum();
    }

    public long refusedCount() {
        return refused.sum();
    }

    public int rememberedTokens() {
        return cache.size();
    }

    /** Key loads per issuer name: successful and failed. */
    public Map<String, long[]> keyLoads() {
        Map<String, long[]> out = new LinkedHashMap<>();
        keysByIss.values().forEach(k -> out.put(k.issuer().name(), new long[] { k.loads(), k.failedLoads() }));
        return out;
    }

    public TrustSettings settings() {
        return settings;
    }
}
