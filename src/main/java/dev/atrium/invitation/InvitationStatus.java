package dev.atrium.invitation;

import java.util.Locale;
import java.util.Optional;

/** An invitation's status, as stored and shown. */
public enum InvitationStatus {
    PENDING, ACCEPTED, REVOKED, EXPIRED, DECLINED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean is(String wire) {
        return wire().equals(wire);
    }

    public static Optional<InvitationStatus> parse(String wire) {
        for (InvitationStatus s : values()) {
            if (s.is(wire)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
