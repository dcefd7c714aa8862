package dev.atrium.common.security;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Who may call: the one issuer of user tokens, more trusted issuers (a Kubernetes cluster's, a second identity
 * provider's) and the services recognised among their tokens. {@code dev.atrium.common.security.token.TrustSettings}
 * reads and checks all of it at start.
 */
@ConfigMapping(prefix = "atrium.security")
public interface SecurityConfig {

    /**
     * Client ids whose tokens are service principals when their {@code sub} and their {@code azp} or
     * {@code client_id} all equal the client id (the shape Okta gives). The older, shorter form of {@link #services()}.
     */
    Optional<List<String>> serviceClients();

    /** The {@code groups} entry that makes a user a platform admin. */
    @WithDefault("platform-admin")
    String platformAdminGroup();

    /** The issuer of user tokens (issuer name {@code users}); users come from it and from nowhere else. */
    Issuer userIssuer();

    /** More trusted issuers by name; their tokens are accepted only when they are those of a configured service. */
    Map<String, Issuer> issuers();

    /**
     * More trusted issuers as one value, the form an environment variable ({@code ATRIUM_SECURITY_ISSUER_LIST}) can
     * carry: entries separated by {@code ;}, each {@code name=<name> issuer=<iss> keys=<location>
     * [audiences=a,b] [algorithms=RS256,ES256]}.
     */
    Optional<String> issuerList();

    /** Services by name. */
    Map<String, Service> services();

    /**
     * Services as one value ({@code ATRIUM_SECURITY_SERVICE_LIST}): entries separated by {@code ;}, each
     * {@code name=<name> [issuer=<issuer name>] claims.<claim>=<value>... [scopes=a,b]}.
     */
    Optional<String> serviceList();

    /** When set, a token must carry {@code iat} and be no older than this. Unset: any age until {@code exp}. */
    Optional<Duration> maxTokenAge();

    /** Tolerance for {@code exp}, {@code nbf} and {@code iat} between clocks; at most 30 s. */
    @WithDefault("30s")
    Duration clockSkew();

    /** {@code true} accepts {@code http://} key set URLs (dev and tests only; otherwise the cell refuses to start). */
    @WithDefault("false")
    boolean allowInsecureKeyUrls();

    Keys keys();

    TokenCache tokenCache();

    interface Issuer {
        /** The exact {@code iss} its tokens carry. */
        String issuer();

        /**
         * Its verification keys: an {@code https} URL of a JWKS, a file holding a JWKS or PEM public keys or
         * certificates, or the key itself (PEM, base64 DER or JWKS text).
         */
        String keys();

        /** Accepted {@code aud} values (one must be present); default: the user issuer's. */
        Optional<List<String>> audiences();

        /** Accepted signature algorithms; default {@code RS256}. */
        Optional<List<String>> algorithms();
    }

    interface Service {
        /** The name of the issuer whose tokens it holds: {@code users} or a key of {@link #issuers()}. */
        @WithDefault("users")
        String issuer();

        /** Claims that recognise its tokens: every one must be present with exactly this value. */
        Map<String, String> claims();

        /** Its scopes; when unset, the token's {@code scope} or {@code scp}. */
        Optional<List<String>> scopes();
    }

    interface Keys {
        /** A key set is fetched again when a token names a key it lacks, at most this often per issuer. */
        @WithDefault("10s")
        Duration refreshMinInterval();

        /** A key set older than this is fetched again before it is used, so a removed key stops working. */
        @WithDefault("5m")
        Duration maxAge();

        /** A fetch that has not answered within this is given up (the token is refused, the old keys are kept). */
        @WithDefault("5s")
        Duration fetchTimeout();
    }

    interface TokenCache {
        /** Verified tokens remembered; 0 turns the cache off. */
        @WithDefault("10000")
        int maxEntries();

        /** The longest a verified token is remembered (never past its {@code exp}). */
        @WithDefault("2m")
        Duration maxTtl();
    }
}
