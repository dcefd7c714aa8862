package dev.atrium.common.db;

import java.util.Set;
import java.util.logging.Filter;
import java.util.logging.LogRecord;

import org.jboss.logmanager.ExtLogRecord;

import io.quarkus.logging.LoggingFilter;

/**
 * Keeps Hibernate's warnings about database errors that the service handles by design out of the logs: a unique
 * violation (a slug taken by a concurrent create and retried, a personal organization created by a concurrent request,
 * a duplicate turned into 409), a lock timeout (an idempotency key in use, 409; a busy row, 503) and serialization
 * failures or deadlocks (409, retry). Hibernate logs each failed statement at WARN before the service sees the
 * exception, as two records: {@code HHH000247: ErrorCode: 0, SQLState: <state>} and the driver's message, which the
 * PostgreSQL client ends with {@code (<state>)}. Whatever the service does not handle still reaches the log through
 * its own records ({@code ProblemMapper} logs it at ERROR), and every other state passes here untouched.
 */
@LoggingFilter(name = "handled-sql-errors")
public final class HandledSqlErrors implements Filter {

    static final String HIBERNATE_SQL_ERRORS = "org.hibernate.orm.jdbc.error";
    static final Set<String> HANDLED = Set.of(DbErrors.UNIQUE_VIOLATION, DbErrors.LOCK_NOT_AVAILABLE, "40001",
            "40P01");

    @Override
    public boolean isLoggable(LogRecord record) {
        return !HIBERNATE_SQL_ERRORS.equals(record.getLoggerName()) || !handled(record);
    }

    static boolean handled(LogRecord record) {
        Object[] parameters = record.getParameters();
        if (parameters != null) {
            for (Object p : parameters) {
                if (p instanceof String state && HANDLED.contains(state)) {
                    return true;
                }
            }
        }
        String message = record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage();
        if (message == null || !message.endsWith(")")) {
            return false;
        }
        int open = message.lastIndexOf(" (");
        return open >= 0 && HANDLED.contains(message.substring(open + 2, message.length() - 1));
    }
}
