package dev.atrium.provisioning;

import java.util.Locale;

/** A provisioning step's status, as stored and shown. */
public enum StepStatus {
    PENDING, RUNNING, SUCCEEDED, SKIPPED, FAILED, COMPENSATED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean is(String wire) {
        return wire().equals(wire);
    }

    /** Done with: succeeded, or skipped because there was nothing to do. */
    public static boolean done(String wire) {
        return SUCCEEDED.is(wire) || SKIPPED.is(wire);
    }
}
