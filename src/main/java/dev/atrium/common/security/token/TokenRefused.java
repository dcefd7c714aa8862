package dev.atrium.common.security.token;

/** Why a token was refused, for the debug log; the caller only ever sees a 401. Carries no stack trace. */
final class TokenRefused extends RuntimeException {

    private static final long serialVersionUID = 1L;

    TokenRefused(String reason) {
        super(reason, null, false, false);
    }
}
