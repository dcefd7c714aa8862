package dev.atrium.common.security.token;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import dev.atrium.common.security.Principal;
import dev.atrium.common.security.SecurityConfig;

/**
 * The trust configuration, read once and checked as a whole at start, so a typo stops the cell with a message instead
 * of refusing every token later. Issuers and services come from the property form
 * ({@code atrium.security.issuers.<name>.*}, {@code atrium.security.services.<name>.*}, what a mounted ConfigMap
 * carries), from the one-value form an environment variable can carry ({@code issuer-list}, {@code service-list}),
 * and from the older {@code service-clients}; a name may be defined only once across them.
 */
public record TrustSettings(List<TrustedIssuer> issuers, List<ServiceRule> services, Duration clockSkew,
        Optional<Duration> maxTokenAge, Duration keyRefreshMinInterval, Duration keySetMaxAge,
        Duration keyFetchTimeout, int cacheMaxEntries, Duration cacheMaxTtl, String platformAdminGroup) {

    static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    /** Service names become principal ids; the older setting used client ids as names. */
    static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9._@:-]{1,128}");
    static final Set<String> ALGORITHMS = Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
            "ES384", "ES512", "EdDSA");
    static final Set<String> SCOPES = Set.of(Principal.SCOPE_WORKSPACES_READ, Principal.SCOPE_WORKSPACES_WRITE,
            Principal.SCOPE_EVENTS_READ, Principal.SCOPE_ADMIN);
    static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(30);
    static final String CLAIM_PREFIX = "claims.";

    public TrustSettings {
        issuers = List.copyOf(issuers);
        services = List.copyOf(services);
        check(issuers, services);
        if (clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw invalid("atrium.security.clock-skew must be between 0s and 30s, got " + clockSkew);
        }
        if (maxTokenAge.isPresent() && (maxTokenAge.get().isNegative() || maxTokenAge.get().isZero())) {
            throw invalid("atrium.security.max-token-age must be positive, got " + maxTokenAge.get());
        }
        if (cacheMaxEntries < 0) {
            throw invalid("atrium.security.token-cache.max-entries must not be negative");
        }
    }

    /** Reads and checks the configuration; {@link IllegalStateException} names the first thing wrong. */
    public static TrustSettings from(SecurityConfig config) {
        List<TrustedIssuer> issuers = new ArrayList<>();
        SecurityConfig.Issuer users = config.userIssuer();
        List<String> userAudiences = users.audiences().orElse(List.of("atrium"));
        issuers.add(new TrustedIssuer(TrustedIssuer.USERS, users.issuer(), userAudiences,
                users.algorithms().orElse(List.of("RS256")), users.keys()));
        config.issuers().forEach((name, i) -> issuers.add(new TrustedIssuer(name, i.issuer(),
                i.audiences().orElse(userAudiences), i.algorithms().orElse(List.of("RS256")), i.keys())));
        config.issuerList().ifPresent(text -> issuers.addAll(issuersFromList(text, userAudiences)));

        List<ServiceRule> services = new ArrayList<>();
        config.services().forEach((name, s) -> services.add(new ServiceRule(name, s.issuer(), s.claims(),
                s.scopes().map(LinkedHashSet::new))));
        config.serviceList().ifPresent(text -> services.addAll(servicesFromList(text)));
        Set<String> named = new HashSet<>();
        for (ServiceRule s : services) {
            if (!named.add(s.name())) {
                throw invalid("service '" + s.name() + "' is defined twice");
            }
        }
        for (String client : config.serviceClients().orElse(List.of())) {
            String id = client.trim();
            if (id.isEmpty()) {
                continue;
            }
            if (!named.add(id)) {
                throw invalid("service '" + id + "' is defined twice (atrium.security.service-clients and services)");
            }
            // The shape the older setting accepted: sub, and azp or client_id, all naming the client.
            services.add(new ServiceRule(id, TrustedIssuer.USERS, Map.of("sub", id, "azp", id), Optional.empty()));
            services.add(new ServiceRule(id, TrustedIssuer.USERS, Map.of("sub", id, "client_id", id),
                    Optional.empty()));
        }
        if (!config.allowInsecureKeyUrls()) {
            for (TrustedIssuer issuer : issuers) {
                if (issuer.keys().startsWith("http://")) {
                    throw invalid("the keys of issuer '" + issuer.name() + "' must be fetched over https, got "
                            + issuer.keys() + " (plain http only with atrium.security.allow-insecure-key-urls=true,"
                            + " for dev and tests)");
                }
            }
        }
        return new TrustSettings(issuers, services, config.clockSkew(), config.maxTokenAge(),
                config.keys().refreshMinInterval(), config.keys().maxAge(), config.keys().fetchTimeout(),
                config.tokenCache().maxEntries(), config.tokenCache().maxTtl(), config.platformAdminGroup());
    }

    public TrustedIssuer userIssuer() {
        return issuers.get(0);
    }

    private static void check(List<TrustedIssuer> issuers, List<ServiceRule> services) {
        if (issuers.isEmpty() || !issuers.get(0).isUserIssuer()) {
            throw invalid("the user issuer must come first");
        }
        Map<String, TrustedIssuer> byName = new LinkedHashMap<>();
        Map<String, String> nameByIss = new LinkedHashMap<>();
        for (TrustedIssuer i : issuers) {
            String where = "issuer '" + i.name() + "'";
            if (!NAME.matcher(i.name()).matches()) {
                throw invalid(where + ": a name is lower-case letters, digits and hyphens");
            }
            if (byName.put(i.name(), i) != null) {
                throw invalid(where + " is defined twice" + (i.isUserIssuer()
                        ? " ('users' is the user issuer, set through atrium.security.user-issuer)" : ""));
            }
            if (i.issuer() == null || i.issuer().isBlank()) {
                throw invalid(where + " needs the exact iss of its tokens");
            }
            String other = nameByIss.put(i.issuer(), i.name());
            if (other != null) {
                throw invalid("issuers '" + other + "' and '" + i.name() + "' both claim iss " + i.issuer());
            }
            if (i.keys() == null || i.keys().isBlank()) {
                throw invalid(where + " needs keys (an https JWKS URL, a file, or the key itself)");
            }
            if (i.audiences().isEmpty() || i.audiences().stream().anyMatch(String::isBlank)) {
                throw invalid(where + " needs at least one audience");
            }
            if (i.algorithms().isEmpty() || !ALGORITHMS.containsAll(i.algorithms())) {
                throw invalid(where + ": algorithms must be among " + new TreeSet<>(ALGORITHMS) + ", got "
                        + i.algorithms());
            }
        }
        for (ServiceRule s : services) {
            String where = "service '" + s.name() + "'";
            if (!SERVICE_NAME.matcher(s.name()).matches()) {
                throw invalid(where + ": a name is 1 to 128 letters, digits, '.', '_', '@', ':' and '-'");
            }
            TrustedIssuer issuer = byName.get(s.issuer());
            if (issuer == null) {
                throw invalid(where + " names issuer '" + s.issuer() + "', which is not configured (known: "
                        + byName.keySet() + ")");
            }
            if (s.claims().isEmpty()) {
                throw invalid(where + " needs at least one claim that recognises its tokens (claims.<claim>=<value>)");
            }
            s.claims().forEach((claim, value) -> {
                if (claim.isBlank() || value == null || value.isBlank()) {
                    throw invalid(where + ": claim '" + claim + "' needs a value");
                }
            });
            s.scopes().ifPresent(scopes -> {
                if (!SCOPES.containsAll(scopes)) {
                    throw invalid(where + ": scopes must be among " + new TreeSet<>(SCOPES) + ", got "
                            + scopes);
                }
            });
        }
    }

    static List<TrustedIssuer> issuersFromList(String text, List<String> defaultAudiences) {
        List<TrustedIssuer> out = new ArrayList<>();
        for (Map<String, String> entry : entries("atrium.security.issuer-list", text)) {
            String name = required(entry, "name", "atrium.security.issuer-list");
            for (String key : entry.keySet()) {
                if (!Set.of("name", "issuer", "keys", "audiences", "algorithms").contains(key)) {
                    throw invalid("atrium.security.issuer-list, issuer '" + name + "': unknown setting '" + key
                            + "' (name, issuer, keys, audiences, algorithms)");
                }
            }
            out.add(new TrustedIssuer(name, required(entry, "issuer", name), Optional.ofNullable(entry.get("audiences"))
                    .map(TrustSettings::commaList).orElse(defaultAudiences), Optional.ofNullable(entry.get("algorithms"))
                    .map(TrustSettings::commaList).orElse(List.of("RS256")), required(entry, "keys", name)));
        }
        return out;
    }

    static List<ServiceRule> servicesFromList(String text) {
        List<ServiceRule> out = new ArrayList<>();
        for (Map<String, String> entry : entries("atrium.security.service-list", text)) {
            String name = required(entry, "name", "atrium.security.service-list");
            Map<String, String> claims = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : entry.entrySet()) {
                if (e.getKey().startsWith(CLAIM_PREFIX) && e.getKey().length() > CLAIM_PREFIX.length()) {
                    claims.put(e.getKey().substring(CLAIM_PREFIX.length()), e.getValue());
                } else if (!Set.of("name", "issuer", "scopes").contains(e.getKey())) {
                    throw invalid("atrium.security.service-list, service '" + name + "': unknown setting '"
                            + e.getKey() + "' (name, issuer, claims.<claim>, scopes)");
                }
            }
            out.add(new ServiceRule(name, entry.getOrDefault("issuer", TrustedIssuer.USERS), claims,
                    Optional.ofNullable(entry.get("scopes")).map(s -> new LinkedHashSet<>(commaList(s)))));
        }
        return out;
    }

    /** {@code a=1 b=2; a=3}: entries separated by {@code ;} or line breaks, settings by white space. */
    static List<Map<String, String>> entries(String setting, String text) {
        List<Map<String, String>> out = new ArrayList<>();
        for (String entry : text.split("[;\\n]")) {
            if (entry.isBlank()) {
                continue;
            }
            Map<String, String> settings = new LinkedHashMap<>();
            for (String pair : entry.trim().split("\\s+")) {
                int eq = pair.indexOf('=');
                if (eq <= 0 || eq == pair.length() - 1) {
                    throw invalid(setting + ": expected key=value, got '" + pair + "'");
                }
                if (settings.put(pair.substring(0, eq), pair.substring(eq + 1)) != null) {
                    throw invalid(setting + ": '" + pair.substring(0, eq) + "' given twice in one entry");
                }
            }
            out.add(settings);
        }
        return out;
    }

    private static String required(Map<String, String> entry, String key, String where) {
        String value = entry.get(key);
        if (value == null) {
            throw invalid(where + ": '" + key + "' is required");
        }
        return value;
    }

    private static List<String> commaList(String value) {
        return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static IllegalStateException invalid(String message) {
        return new IllegalStateException("Invalid token trust configuration: " + message);
    }
}
