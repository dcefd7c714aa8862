package dev.atrium.member;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Seat arithmetic without a running service: the plan's limit, lowered by a pooled seat limit. */
class SeatsTest {

    @Test
    void thePlanDecidesUnlessPooled() {
        assertEquals(5, Seats.limit(5, "single", null));
        assertEquals(5, Seats.limit(5, "assigned", 3));
        assertEquals(100, Seats.limit(100, "pooled", null));
    }

    @Test
    void aPooledLimitLowersButNeverRaisesThePlans() {
        assertEquals(20, Seats.limit(100, "pooled", 20));
        assertEquals(100, Seats.limit(100, "pooled", 500));
        assertEquals(1, Seats.limit(100, "pooled", 1));
    }
}
