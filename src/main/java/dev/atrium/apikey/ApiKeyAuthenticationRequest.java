package dev.atrium.apikey;

import io.quarkus.security.identity.request.BaseAuthenticationRequest;

/** An {@code atr_} bearer token on its way to {@link ApiKeyIdentityProvider}. */
public class ApiKeyAuthenticationRequest extends BaseAuthenticationRequest {

    private final String token;

    public ApiKeyAuthenticationRequest(String token) {
        this.token = token;
    }

    String token() {
        return token;
    }

    @Override
    public String toString() {
        return "ApiKeyAuthenticationRequest[redacted]";
    }
}
