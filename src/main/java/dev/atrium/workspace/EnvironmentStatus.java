package dev.atrium.workspace;

import java.util.Locale;

/** An environment's status, as stored and shown. */
public enum EnvironmentStatus {
    READY, DELETED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
