package dev.atrium.common.security.token;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How one service's tokens are recognised: they come from {@code issuer} (a {@link TrustedIssuer} name) and carry
 * every claim of {@code claims} with exactly that value. Recognition is positive only: a missing claim never makes a
 * token a service's. {@code scopes}, when present, are the service's scopes whatever its token says (Kubernetes
 * service-account tokens carry none); otherwise they are read from the token's {@code scope} or {@code scp}.
 */
public record ServiceRule(String name, String issuer, Map<String, String> claims, Optional<Set<String>> scopes) {

    public ServiceRule {
        claims = Map.copyOf(claims);
        scopes = scopes.map(Set::copyOf);
    }
}
