package dev.atrium.common.security;

/** One call: who makes it, its request id, and the path (with query) used for redirects and idempotency scope. */
public record Caller(Principal principal, String requestId, String pathAndQuery) {

    public Actor actor() {
        return principal.actor();
    }
}
