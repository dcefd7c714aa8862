package dev.atrium.common.security;

import java.util.Locale;
import java.util.Optional;

/** Membership roles, ordered by rank: nobody grants a role ranked above their own. */
public enum Role {
    VIEWER(0), MEMBER(1), ADMIN(2), OWNER(3);

    private final int rank;

    Role(int rank) {
        this.rank = rank;
    }

    public boolean atLeast(Role other) {
        return rank >= other.rank;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Role> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        for (Role r : values()) {
            if (r.wire().equals(value)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
