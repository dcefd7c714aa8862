package dev.atrium.common.security.token;

import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;

import dev.atrium.common.security.Principal;
import dev.atrium.common.text.Text;

/**
 * Turns the claims of a verified token into Atrium's principal. A token is a service's only when a configured service
 * of its issuer recognises it positively (every claim of the service's rule present with exactly that value); it is a
 * user's only when it comes from the user issuer and no service recognises it. A token of any other issuer that no
 * service recognises is refused, and so is one that two services both claim.
 */
final class Recognition {

    /** OpenID Connect Core 1.0, section 2: a subject is at most 255 ASCII characters. */
    static final int MAX_SUBJECT_LENGTH = 255;

    private final List<ServiceRule> services;
    private final String platformAdminGroup;

    Recognition(List<ServiceRule> services, String platformAdminGroup) {
        this.services = List.copyOf(services);
        this.platformAdminGroup = platformAdminGroup;
    }

    Principal principal(TrustedIssuer issuer, JwtClaims claims) {
        String sub = string(claims, "sub");
        if (sub == null || sub.isBlank()) {
            throw new TokenRefused("no subject");
        }
        List<ServiceRule> matched = services.stream()
                .filter(s -> s.issuer().equals(issuer.name()) && recognises(s, claims)).toList();
        Set<String> names = matched.stream().map(ServiceRule::name).collect(Collectors.toSet());
        if (names.size() > 1) {
            throw new TokenRefused("services " + names + " all recognise one token of issuer '" + issuer.name() + "'");
        }
        if (!matched.isEmpty()) {
            ServiceRule service = matched.get(0);
            Set<String> scopes = service.scopes().orElseGet(() -> tokenScopes(claims));
            return new Principal(Principal.Type.SERVICE, service.name(), null, false, service.name(), scopes, false);
        }
        if (!issuer.isUserIssuer()) {
            throw new TokenRefused("no configured service of issuer '" + issuer.name() + "' recognises subject " + sub);
        }
        String email = string(claims, "email");
        String name = string(claims, "name");
        // A user's subject, email and name are stored (members, events) and the subject is indexed: text PostgreSQL
        // cannot store, or a subject longer than OpenID Connect allows, makes the token as unusable as a bad
        // signature, rather than an error of the database on the first write.
        if (sub.length() > MAX_SUBJECT_LENGTH) {
            throw new TokenRefused("subject longer than " + MAX_SUBJECT_LENGTH + " characters");
        }
        if (!Text.storable(sub) || !Text.storable(email) || !Text.storable(name)) {
            throw new TokenRefused("subject, email or name holds text that cannot be stored");
        }
        Object emailVerified = claims.getClaimValue("email_verified");
        return new Principal(Principal.Type.USER, sub, email,
                Boolean.TRUE.equals(emailVerified) || "true".equals(emailVerified), name, Set.of(),
                strings(claims.getClaimValue("groups")).contains(platformAdminGroup));
    }

    static boolean recognises(ServiceRule service, JwtClaims claims) {
        for (var claim : service.claims().entrySet()) {
            Object value = claims.getClaimValue(claim.getKey());
            boolean scalar = value instanceof String || value instanceof Boolean || value instanceof Number;
            if (!scalar || !claim.getValue().equals(String.valueOf(value))) {
                return false;
            }
        }
        return true;
    }

    /** {@code scope} as OAuth 2.0 sends it (space-separated), or {@code scp} (a list, or space-separated). */
    static Set<String> tokenScopes(JwtClaims claims) {
        Object scope = claims.getClaimValue("scope");
        if (scope instanceof String s) {
            return split(s);
        }
        Object scp = claims.getClaimValue("scp");
        if (scp instanceof String s) {
            return split(s);
        }
        return strings(scp);
    }

    private static Set<String> split(String spaced) {
        return Arrays.stream(spaced.trim().split("\\s+")).filter(s -> !s.isEmpty())
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    private static Set<String> strings(Object value) {
        if (value instanceof Collection<?> values) {
            return values.stream().filter(String.class::isInstance).map(String.class::cast)
                    .collect(Collectors.toCollection(LinkedHashSet::new));
        }
        return value instanceof String s ? Set.of(s) : Set.of();
    }

    private static String string(JwtClaims claims, String name) {
        try {
            return claims.getClaimValue(name, String.class);
        } catch (MalformedClaimException e) {
            return null;
        }
    }
}
