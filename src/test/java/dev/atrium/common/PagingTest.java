package dev.atrium.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.atrium.common.paging.Paging;
import dev.atrium.common.problem.ApiException;

/** Cursor encoding and limits, without a running service. */
class PagingTest {

    @Test
    void aCursorCarriesItsListAndSortKeysAndNothingElseReadsIt() {
        String cursor = Paging.encode("workspaces:-created_at", "2031-02-03T04:05:06.123456Z", "ws_abc");
        assertTrue(cursor.matches("[A-Za-z0-9_-]+"), cursor);
        assertEquals(List.of("2031-02-03T04:05:06.123456Z", "ws_abc"), Paging.decode(cursor, "workspaces:-created_at", 2));
        assertEquals("invalid_cursor",
                assertThrows(ApiException.class, () -> Paging.decode(cursor, "workspaces:name", 2)).code());
        assertEquals("invalid_cursor",
                assertThrows(ApiException.class, () -> Paging.decode(cursor, "workspaces:-created_at", 3)).code());
        for (String junk : List.of("", "!!!", "%00", "a", Paging.encode("other", "x", "y"))) {
            assertThrows(ApiException.class, () -> Paging.decode(junk, "workspaces:-created_at", 2), junk);
        }
    }

    @Test
    void timestampsInCursorsAreCheckedToo() {
        assertEquals(Instant.parse("2031-02-03T04:05:06.123456Z"), Paging.instant("2031-02-03T04:05:06.123456Z"));
        assertEquals("invalid_cursor", assertThrows(ApiException.class, () -> Paging.instant("yesterday")).code());
    }

    @Test
    void limitsAreOneToAThousand() {
        assertEquals(100, Paging.limit(null, 100));
        assertEquals(1, Paging.limit("1", 100));
        assertEquals(1000, Paging.limit("1000", 100));
        for (String bad : List.of("0", "1001", "-1", "ten", "1e3")) {
            assertEquals("validation_failed", assertThrows(ApiException.class, () -> Paging.limit(bad, 100)).code());
        }
    }
}
