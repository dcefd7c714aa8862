package dev.atrium.cell;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * One peer's circuit: closed until {@code threshold} consecutive calls fail, then open for {@code openFor}, during
 * which calls fail at once instead of waiting out a timeout; then half-open, letting exactly one probe through whose
 * outcome closes or re-opens it. Only transport failures, timeouts and 5xx count; a 4xx is a healthy answer.
 */
final class CircuitBreaker {

    enum State {
        CLOSED(0), OPEN(1), HALF_OPEN(2);

        final int gauge;

        State(int gauge) {
            this.gauge = gauge;
        }
    }

    private final int threshold;
    private final long openForMillis;
    private final LongSupplier clock;
    private State state = State.CLOSED;
    private int failures;
    private long openUntil;
    private boolean probing;

    CircuitBreaker(int threshold, Duration openFor, LongSupplier clockMillis) {
        this.threshold = Math.max(1, threshold);
        this.openForMillis = openFor.toMillis();
        this.clock = clockMillis;
    }

    /** Whether a call may go out now; in half-open state only the first caller gets through (the probe). */
    synchronized boolean tryAcquire() {
        switch (state) {
            case CLOSED:
                return true;
            case OPEN:
                if (clock.getAsLong() < openUntil) {
                    return false;
                }
                state = State.HALF_OPEN;
                probing = true;
                return true;
            default:
                if (probing) {
                    return false;
                }
                probing = true;
                return true;
        }
    }

    synchronized void success() {
        state = State.CLOSED;
        failures = 0;
        probing = false;
    }

    synchronized void failure() {
        probing = false;
        failures++;
        if (state == State.HALF_OPEN || failures >= threshold) {
            state = State.OPEN;
            openUntil = clock.getAsLong() + openForMillis;
        }
    }

    /** A call given up by its caller (cancelled) tells nothing about the peer, but must not hold the probe slot. */
    synchronized void abandoned() {
        probing = false;
    }

    synchronized State state() {
        return state == State.OPEN && clock.getAsLong() >= openUntil ? State.HALF_OPEN : state;
    }

    /** Seconds until a call may go out again: the rest of the open period, at least 1. */
    synchronized long retryAfterSeconds() {
        long left = state == State.OPEN ? openUntil - clock.getAsLong() : 0;
        return Math.max(1, (left + 999) / 1000);
    }
}
