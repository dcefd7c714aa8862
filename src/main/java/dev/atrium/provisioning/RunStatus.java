package dev.atrium.provisioning;

import java.util.Locale;

/** A provisioning run's status, as stored and shown. */
public enum RunStatus {
    PENDING, RUNNING, COMPENSATING, SUCCEEDED, FAILED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean is(String wire) {
        return wire().equals(wire);
    }

    /** Succeeded or failed: nothing more happens unless an administrator retries it. */
    public static boolean finished(String wire) {
        return SUCCEEDED.is(wire) || FAILED.is(wire);
    }
}
