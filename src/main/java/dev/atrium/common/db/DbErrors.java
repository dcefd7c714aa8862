package dev.atrium.common.db;

import java.util.Optional;

import dev.atrium.common.problem.ApiException;
import io.vertx.pgclient.PgException;

/**
 * PostgreSQL failures are recognised by SQLState and constraint name, never by message text, and never shown to a
 * client: what escapes a service untranslated becomes a generic problem here.
 */
public final class DbErrors {

    public static final String UNIQUE_VIOLATION = "23505";
    public static final String LOCK_NOT_AVAILABLE = "55P03";

    private DbErrors() {
    }

    public static Optional<PgException> pg(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof PgException pg) {
                return Optional.of(pg);
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return Optional.empty();
    }

    public static boolean isUniqueViolation(Throwable t, String constraint) {
        return pg(t).filter(pg -> UNIQUE_VIOLATION.equals(pg.getSqlState())
                && (constraint == null || constraint.equals(pg.getConstraint()))).isPresent();
    }

    public static boolean isLockTimeout(Throwable t) {
        return pg(t).filter(pg -> LOCK_NOT_AVAILABLE.equals(pg.getSqlState())).isPresent();
    }

    /** Last line of defence for database errors that a service did not map itself. */
    public static ApiException translate(Throwable t) {
        if (t instanceof ApiException api) {
            return api;
        }
        return pg(t).map(pg -> switch (pg.getSqlState()) {
            case UNIQUE_VIOLATION -> ApiException.conflict("conflict", "The resource already exists.");
            case "40001", "40P01" -> ApiException.conflict("conflict", "A concurrent request got there first; retry.");
            default -> null;
        }).orElse(null);
    }
}
