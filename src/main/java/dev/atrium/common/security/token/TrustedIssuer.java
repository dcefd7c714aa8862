package dev.atrium.common.security.token;

import java.util.List;

/**
 * An issuer whose tokens Atrium accepts: the exact {@code iss}, the audiences of which a token must name one, the
 * signature algorithms allowed, and where its keys come from. The {@link #USERS} issuer is the only one whose tokens
 * can be users; every other issuer's tokens must be those of a configured service.
 */
public record TrustedIssuer(String name, String issuer, List<String> audiences, List<String> algorithms,
        String keys) {

    public static final String USERS = "users";

    public TrustedIssuer {
        audiences = List.copyOf(audiences);
        algorithms = List.copyOf(algorithms);
    }

    public boolean isUserIssuer() {
        return USERS.equals(name);
    }

    /** Keys behind an {@code http(s)} URL. */
    public boolean keysAreRemote() {
        return keys.startsWith("https://") || keys.startsWith("http://");
    }
}
