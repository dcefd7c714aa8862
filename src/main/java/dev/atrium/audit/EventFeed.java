package dev.atrium.audit;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.atrium.audit.dto.EventView;
import dev.atrium.common.paging.Paging;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.problem.FieldError;
import dev.atrium.common.security.Principal;
import dev.atrium.common.time.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Every event of this cell for other services, oldest first, none skipped and none repeated.
 * <p>
 * Why not page by id or time: both are minted before commit, so a transaction that wrote first may commit last, and
 * a reader that had already moved past its id would never see it. Each event row therefore carries the id of the
 * transaction that wrote it ({@code txid}, filled by PostgreSQL), and a position in the feed is {@code (txid, id)}.
 * A read serves only events whose {@code txid} lies below the {@code xmin} of the reading statement's own snapshot
 * (the horizon): every transaction below it has ended, so all of its committed events are visible to that statement
 * and nothing can ever appear below the horizon again. A transaction still running has a {@code txid} at or above
 * the horizon, so above every position served so far; once it ends, a later read's horizon (never lower than an
 * earlier one) passes it and its events are served after everything served before. So positions only grow, and a
 * reader that follows the cursor sees each committed event exactly once. The order is that of the writing
 * transactions' ids (events of one transaction arrive together, by id); an open write transaction holds the feed
 * back behind it — delays it, never loses from it — which is why write transactions are kept short.
 * <p>
 * The horizon, the page and the position a filtered page may skip to are computed in one statement, so all three
 * come from one snapshot.
 */
@Startup
@ApplicationScoped
public class EventFeed {

    static final String CURSOR_SCOPE = "events";
    public static final int MAX_WAIT_SECONDS = 30;
    private static final Duration POLL_EVERY = Duration.ofMillis(150);

    private final Vertx vertx;
    private final Duration retention;
    private final Counter served;

    public EventFeed(Vertx vertx, MeterRegistry metrics,
            @ConfigProperty(name = "atrium.events.retention", defaultValue = "30d") Duration retention) {
        this.vertx = vertx;
        this.retention = retention;
        this.served = Counter.builder("atrium.events.served").description("Events handed to feed readers")
                .register(metrics);
    }

    /** A place in the feed: just after the event {@code (txid, id)}, which occurred at {@code occurredAt}. */
    record Position(String txid, String id, Instant occurredAt) {

        String cursor() {
            return Paging.encode(CURSOR_SCOPE, txid, id, Long.toString(ChronoUnit.MICROS.between(Instant.EPOCH,
                    occurredAt)));
        }
    }

    /** One page and the cursor to read on from ({@code null}: none was given and nothing has been served yet). */
    public record Batch(List<EventView> events, String next) {
    }

    /** Only an allow-listed service with {@code atrium:events:read} (or {@code atrium:admin}) follows the feed. */
    public void authorize(Principal principal) {
        if (!principal.isService() || !principal.hasScope(Principal.SCOPE_EVENTS_READ)) {
            throw ApiException.forbidden("The event feed is read by a service with the atrium:events:read scope.");
        }
    }

    /**
     * The events after {@code after} (from the oldest retained one without it), waiting up to {@code waitSeconds}
     * without holding a thread or a connection while nothing has arrived.
     */
    public Uni<Batch> read(String after, int limit, String type, int waitSeconds) {
        Filter filter = Filter.parse(type);
        Instant now = Clock.now();
        Instant oldestRetained = now.minus(retention);
        Position from = after == null ? null : decode(after);
        if (from != null && from.occurredAt().isBefore(oldestRetained)) {
            throw ApiException.cursorExpired();
        }
        Instant deadline = now.plusSeconds(waitSeconds);
        return poll(from, limit, filter, from == null ? oldestRetained : null, deadline)
                .map(p -> new Batch(p.events(), p.next() == null ? null : p.next().cursor()))
                .invoke(b -> served.increment(b.events().size()));
    }

    private record Found(List<EventView> events, Position next) {
    }

    private Uni<Found> poll(Position from, int limit, Filter filter, Instant since, Instant deadline) {
        return Panache.withSession(() -> page(from, limit, filter, since)).flatMap(found -> {
            long left = Duration.between(Instant.now(), deadline).toMillis();
            if (!found.events().isEmpty() || left <= 0) {
                return Uni.createFrom().item(found);
            }
            // Reads on from where this poll ended: events it skipped for the type filter are not scanned again.
            Position next = found.next();
            Instant since0 = next == null ? since : null;
            // A Vert.x timer: no thread waits, and the continuation stays on this context, where Hibernate Reactive
            // must run. No session (so no connection) is held between polls.
            long delay = Math.max(1, Math.min(POLL_EVERY.toMillis(), left));
            return Uni.createFrom().<Void>emitter(em -> vertx.setTimer(delay, id -> em.complete(null)))
                    .chain(() -> poll(next, limit, filter, since0, deadline));
        });
    }

    private Uni<Found> page(Position from, int limit, Filter filter, Instant since) {
        StringBuilder where = new StringBuilder("e.txid < h.horizon");
        if (from != null) {
            where.append(" and (e.txid, e.id) > (cast(:txid as xid8), :id)");
        }
        if (since != null) {
            where.append(" and e.occurred_at >= :since");
        }
        String matching = where + switch (filter.kind()) {
            case ALL -> "";
            case EXACT -> " and e.type = :type";
            case PREFIX -> " and starts_with(e.type, :type)";
        };
        // kind 0: the page; kind 1: the last visible event whatever its type, where a page shorter than the limit
        // may move the cursor to, so a filtered reader does not rescan what it skipped.
        String sql = "with h as (select pg_snapshot_xmin(pg_current_snapshot()) as horizon),"
                + " page as (select e.txid, e.id, e.occurred_at from events e, h where " + matching
                + " order by e.txid, e.id limit :limit),"
                + " tail as (select e.txid, e.id, e.occurred_at from events e, h where " + where
                + " order by e.txid desc, e.id desc limit 1)"
                + " select x.kind, cast(x.txid as text) as txid_text, x.id,"
                + " cast(cast(extract(epoch from x.occurred_at) * 1000000 as bigint) as text) as micros from"
                + " (select 0 as kind, * from page union all select 1 as kind, * from tail) x"
                // Qualified: a bare "txid" here would sort by the text output column, and "999" > "1000".
                + " order by x.kind, x.txid, x.id";
        return Panache.getSession().chain(s -> {
            var q = s.createNativeQuery(sql, Object[].class).setParameter("limit", limit);
            if (from != null) {
                q.setParameter("txid", from.txid()).setParameter("id", from.id());
            }
            if (since != null) {
                q.setParameter("since", since);
            }
            if (filter.kind() != Filter.Kind.ALL) {
                q.setParameter("type", filter.value());
            }
            return q.getResultList();
        }).flatMap(rows -> {
            List<Position> keys = new ArrayList<>();
            Position tail = null;
            for (Object[] row : rows) {
                Position p = new Position((String) row[1], (String) row[2],
                        Instant.EPOCH.plus(Long.parseLong((String) row[3]), ChronoUnit.MICROS));
                if (((Number) row[0]).intValue() == 0) {
                    keys.add(p);
                } else {
                    tail = p;
                }
            }
            Position next = keys.size() < limit && tail != null ? tail
                    : keys.isEmpty() ? from : keys.get(keys.size() - 1);
            if (keys.isEmpty()) {
                return Uni.createFrom().item(new Found(List.of(), next));
            }
            List<String> ids = keys.stream().map(Position::id).toList();
            return Event.<Event>list("id in ?1", ids).map(events -> {
                Map<String, Event> byId = new HashMap<>();
                events.forEach(e -> byId.put(e.id, e));
                return new Found(ids.stream().map(byId::get).map(AuditService::view).toList(), next);
            });
        });
    }

    private static Position decode(String cursor) {
        try {
            List<String> parts = Paging.decode(cursor, CURSOR_SCOPE, 3);
            String txid = parts.get(0);
            if (txid.isEmpty() || txid.length() > 20 || !txid.chars().allMatch(Character::isDigit)
                    || parts.get(1).isEmpty() || parts.get(1).length() > 100) {
                throw invalidCursor();
            }
            Long.parseUnsignedLong(txid);
            return new Position(txid, parts.get(1),
                    Instant.EPOCH.plus(Long.parseLong(parts.get(2)), ChronoUnit.MICROS));
        } catch (ApiException | ArithmeticException | java.time.DateTimeException | NumberFormatException e) {
            throw invalidCursor();
        }
    }

    private static ApiException invalidCursor() {
        return new ApiException(400, "invalid_cursor", "The cursor is malformed or belongs to another list.",
                List.of(new FieldError("after", "not a cursor issued by the event feed")));
    }

    /** The {@code type} filter: an exact type, or a prefix such as {@code member.*}, as the audit endpoint takes. */
    record Filter(Kind kind, String value) {
        enum Kind {
            ALL, EXACT, PREFIX
        }

        static Filter parse(String type) {
            if (type == null) {
                return new Filter(Kind.ALL, null);
            }
            if (type.isEmpty() || type.length() > 100 || type.equals(".*")) {
                throw ApiException.validation("type", "an event type, or a prefix ending in .*");
            }
            return type.endsWith(".*") ? new Filter(Kind.PREFIX, type.substring(0, type.length() - 1))
                    : new Filter(Kind.EXACT, type);
        }
    }
}
