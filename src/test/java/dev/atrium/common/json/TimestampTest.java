package dev.atrium.common.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The hand-written timestamp writes exactly what the wire format's formatter writes. */
class TimestampTest {

    @Test
    void writesWhatTheFormatterWrites() {
        for (String edge : new String[] { "1970-01-01T00:00:00Z", "2026-12-07T03:04:05.000001Z",
                "2026-02-28T23:59:59.999999999Z", "2024-02-29T12:00:00.1Z", "0000-01-01T00:00:00Z",
                "9999-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59.5Z" }) {
            Instant at = Instant.parse(edge);
            assertEquals(JsonSetup.TIMESTAMP.format(at), JsonSetup.timestamp(at), edge);
        }
        // Years the fast path leaves to the formatter.
        for (Instant at : new Instant[] { Instant.parse("-0001-06-01T00:00:00Z"),
                Instant.parse("+10000-01-01T00:00:00Z") }) {
            assertEquals(JsonSetup.TIMESTAMP.format(at), JsonSetup.timestamp(at), at.toString());
        }
        SplittableRandom random = new SplittableRandom(7);
        long from = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
        long to = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
        for (int i = 0; i < 100_000; i++) {
            Instant at = Instant.ofEpochSecond(random.nextLong(from, to + 1), random.nextInt(1_000_000_000));
            assertEquals(JsonSetup.TIMESTAMP.format(at), JsonSetup.timestamp(at), at.toString());
        }
    }
}
