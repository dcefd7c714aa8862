package dev.atrium.common.security.token;

import io.quarkus.security.identity.request.BaseAuthenticationRequest;

/** A bearer token that is not an API key, on its way to {@link TokenIdentityProvider}. */
public class BearerTokenRequest extends BaseAuthenticationRequest {

    private final String token;

    public BearerTokenRequest(String token) {
        this.token = token;
    }

    String token() {
        return token;
    }

    @Override
    public String toString() {
        return "BearerTokenRequest[redacted]";
    }
}
