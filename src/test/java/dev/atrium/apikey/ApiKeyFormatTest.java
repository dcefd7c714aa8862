package dev.atrium.apikey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.atrium.common.id.Ids;

/** The API key format (the published pattern, checksum, prefix) without a running service. */
class ApiKeyFormatTest {

    @Test
    void aTokenMatchesThePublishedPatternAndParsesBack() {
        String keyId = Ids.generate("key", Ids.cellCode("us-east-1"));
        String secret = ApiKeyFormat.newSecret();
        String token = ApiKeyFormat.token(keyId, secret);
        assertTrue(ApiKeyFormat.PATTERN.matcher(token).matches(), token);
        assertEquals(ApiKeyFormat.TOKEN_LENGTH, token.length());
        ApiKeyFormat.Parsed parsed = ApiKeyFormat.parse(token).orElseThrow();
        assertEquals(keyId, parsed.keyId());
        assertEquals(secret, parsed.secret());
        assertEquals(Ids.cellCode("us-east-1"), parsed.cellCode());
        assertTrue(token.startsWith(ApiKeyFormat.prefix(keyId)));
    }

    @Test
    void aTypoOrAForeignTokenNeverParses() {
        String token = ApiKeyFormat.token(Ids.generate("key", Ids.cellCode("us-east-1")), ApiKeyFormat.newSecret());
        char last = token.charAt(token.length() - 10);
        String typo = token.substring(0, token.length() - 10) + (last == 'a' ? 'b' : 'a') + token.substring(token.length() - 9);
        for (String bad : List.of(typo, token.substring(1), token + "x", "atr_", "", "Bearer " + token)) {
            assertTrue(ApiKeyFormat.parse(bad).isEmpty(), bad);
        }
    }

    @Test
    void onlyABearerAtrTokenIsAKey() {
        assertEquals("atr_x", ApiKeyFormat.bearerKey("Bearer atr_x"));
        assertEquals(null, ApiKeyFormat.bearerKey("Bearer eyJhbGciOi"));
        assertEquals(null, ApiKeyFormat.bearerKey(null));
    }
}
