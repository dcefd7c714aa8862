package dev.atrium.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.atrium.common.id.Ids;

/** ID format without a running service: prefix, home cell code, time order, randomness. */
class IdsTest {

    @Test
    void anIdNamesItsTypeAndHomeCell() {
        String code = Ids.cellCode("eu-west-1");
        String id = Ids.generate("ws", code);
        assertTrue(id.matches("ws_[0-9A-Za-z]{" + Ids.BODY_LENGTH + "}"), id);
        assertEquals(Optional.of(code), Ids.cellCodeOf(id, "ws"));
        assertEquals(Optional.empty(), Ids.cellCodeOf(id, "org"));
        assertEquals(Optional.empty(), Ids.cellCodeOf("ws_short", "ws"));
        assertEquals(code, Ids.cellCode("eu-west-1"));
        assertNotEquals(code, Ids.cellCode("us-east-1"));
    }

    @Test
    void idsAreUniqueAndOrderedByTime() throws InterruptedException {
        String code = Ids.cellCode("us-east-1");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertTrue(seen.add(Ids.generate("evt", code)));
        }
        String earlier = Ids.generate("evt", code);
        Thread.sleep(5);
        String later = Ids.generate("evt", code);
        assertTrue(earlier.compareTo(later) < 0, earlier + " < " + later);
    }

    @Test
    void theRandomPartUsesEveryDigitAlike() {
        String code = Ids.cellCode("us-east-1");
        int[] counts = new int[128];
        int ids = 20_000;
        for (int i = 0; i < ids; i++) {
            String id = Ids.generate("ws", code);
            for (int c = id.length() - 17; c < id.length(); c++) {
                counts[id.charAt(c)]++;
            }
        }
        double expected = ids * 17 / 62.0;
        for (char c : "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray()) {
            assertTrue(Math.abs(counts[c] - expected) < expected * 0.1, c + " drawn " + counts[c] + " times, "
                    + "expected about " + Math.round(expected));
        }
    }
}
