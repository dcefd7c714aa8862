package dev.atrium.common.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class RequestIdsTest {

    @Test
    void aClientIdIsEchoedOnlyWhenShortAndPlain() {
        assertTrue(RequestIds.acceptable("req_1"));
        assertTrue(RequestIds.acceptable("A-z.0_9:x"));
        assertTrue(RequestIds.acceptable("a".repeat(128)));
        assertFalse(RequestIds.acceptable(null));
        assertFalse(RequestIds.acceptable(""));
        assertFalse(RequestIds.acceptable("a".repeat(129)));
        for (String bad : new String[] { "a b", "a\nb", "a\rb", "a/b", "a\"b", "é", "a\u0000", "a;b", "a,b" }) {
            assertFalse(RequestIds.acceptable(bad), bad);
        }
    }

    @Test
    void generatedIdsAreAcceptableAndDistinct() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = RequestIds.generate();
            assertTrue(id.matches("req_[0-9a-f]{32}"), id);
            assertTrue(RequestIds.acceptable(id));
            assertTrue(seen.add(id), "repeated " + id);
        }
        assertNotEquals(RequestIds.generate(), RequestIds.generate());
    }

    @Test
    void invitationTokensInPathsAreMasked() {
        assertEquals("/v1/invitations/[redacted]/accept", RequestIds.redact("/v1/invitations/tok_secret/accept"));
        assertEquals("/v1/invitations/pending", RequestIds.redact("/v1/invitations/pending"));
        assertEquals("/v1/workspaces/ws_1", RequestIds.redact("/v1/workspaces/ws_1"));
    }
}
