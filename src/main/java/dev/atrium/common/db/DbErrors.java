package dev.atrium.common.db;

import java.sql.SQLException;
import java.util.Optional;

import org.hibernate.JDBCException;
import org.hibernate.exception.ConstraintViolationException;

import dev.atrium.common.problem.ApiException;
import io.vertx.pgclient.PgException;

/**
 * PostgreSQL failures are recognised by SQLState and constraint name, never by message text, and never shown to a
 * client: what escapes a service untranslated becomes a generic problem here.
 */
public final class DbErrors {

    public static final String UNIQUE_VIOLATION = "23505";
    public static final String LOCK_NOT_AVAILABLE = "55P03";
    public static final String DATA_EXCEPTION_CLASS = "22";
    public static final String QUERY_CANCELED = "57014";

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

    /** The SQLState of the first database error in the cause chain, whichever layer wrapped it. */
    public static Optional<String> sqlState(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof PgException pg) {
                return Optional.ofNullable(pg.getSqlState());
            }
            if (c instanceof JDBCException jdbc && jdbc.getSQLState() != null) {
                return Optional.of(jdbc.getSQLState());
            }
            if (c instanceof SQLException sql && sql.getSQLState() != null) {
                return Optional.of(sql.getSQLState());
            }
        }
        return Optional.empty();
    }

    /** The violated constraint's name, from the driver's error or Hibernate's translation of it. */
    public static Optional<String> constraint(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof PgException pg && pg.getConstraint() != null) {
                return Optional.of(pg.getConstraint());
            }
            if (c instanceof ConstraintViolationException cve && cve.getConstraintName() != null) {
                return Optional.of(cve.getConstraintName());
            }
        }
        return Optional.empty();
    }

    public static boolean isUniqueViolation(Throwable t, String constraint) {
        return sqlState(t).filter(UNIQUE_VIOLATION::equals).isPresent()
                && (constraint == null || constraint(t).filter(constraint::equals).isPresent());
    }

    public static boolean isLockTimeout(Throwable t) {
        return sqlState(t).filter(LOCK_NOT_AVAILABLE::equals).isPresent();
    }

    /** Last line of defence for database errors that a service did not map itself. */
    public static ApiException translate(Throwable t) {
        if (t instanceof ApiException api) {
            return api;
        }
        return sqlState(t).map(state -> switch (state) {
            case UNIQUE_VIOLATION -> ApiException.conflict("conflict", "The resource already exists.");
            case "40001", "40P01" -> ApiException.conflict("conflict", "A concurrent request got there first; retry.");
            // lock_timeout or statement_timeout: the database is busy with this data right now.
            case LOCK_NOT_AVAILABLE, QUERY_CANCELED -> ApiException.serviceUnavailable(1);
            // Data exceptions: a value the database refused. Validation should have caught it; never a 500.
            default -> state.startsWith(DATA_EXCEPTION_CLASS) ? new ApiException(400, "validation_failed",
                    "A value in the request cannot be stored.") : null;
        }).orElse(null);
    }
}
