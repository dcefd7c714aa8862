package dev.atrium.provisioning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** Exponential backoff with equal jitter, without a running service. */
class BackoffTest {

    private static final Duration BASE = Duration.ofSeconds(1);
    private static final Duration CAP = Duration.ofSeconds(60);

    @Test
    void theDelayDoublesPerAttemptAndStaysInTheUpperHalf() {
        for (int attempt = 1; attempt <= 6; attempt++) {
            long exp = 1000L << (attempt - 1);
            assertEquals(Duration.ofMillis(exp / 2), SagaEngine.backoff(attempt, BASE, CAP, 0.0));
            assertEquals(Duration.ofMillis(exp), SagaEngine.backoff(attempt, BASE, CAP, 1.0));
            Duration middle = SagaEngine.backoff(attempt, BASE, CAP, 0.5);
            assertTrue(middle.toMillis() >= exp / 2 && middle.toMillis() <= exp, middle.toString());
        }
    }

    @Test
    void theDelayIsCappedHoweverManyAttempts() {
        assertEquals(CAP, SagaEngine.backoff(7, BASE, CAP, 1.0));
        assertEquals(CAP, SagaEngine.backoff(1_000, BASE, CAP, 1.0));
        assertEquals(CAP.dividedBy(2), SagaEngine.backoff(1_000, BASE, CAP, 0.0));
    }

    @Test
    void aFirstOrNonsenseAttemptWaitsTheBase() {
        assertEquals(BASE, SagaEngine.backoff(0, BASE, CAP, 1.0));
        assertEquals(BASE, SagaEngine.backoff(-3, BASE, CAP, 1.0));
    }
}
