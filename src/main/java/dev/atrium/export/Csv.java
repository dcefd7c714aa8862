package dev.atrium.export;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import dev.atrium.apikey.dto.ApiKeyView;
import dev.atrium.audit.dto.EventView;
import dev.atrium.common.json.JsonSetup;
import dev.atrium.common.security.Actor;
import dev.atrium.invitation.dto.InvitationView;
import dev.atrium.member.dto.MemberView;
import dev.atrium.workspace.dto.EnvironmentView;

/**
 * RFC 4180 text: CRLF after every record, a header row first, and a field quoted (its quotes doubled) when it holds a
 * comma, a quote, CR or LF. Nested values (an actor, an event's before/after) become their id or compact JSON.
 * A field a spreadsheet would run as a formula (starting with {@code = + - @}, tab or CR; OWASP's CSV injection
 * guidance) is neutralised with a leading apostrophe, which spreadsheets show as text.
 */
final class Csv {

    static final String CRLF = "\r\n";
    private static final String FORMULA_STARTS = "=+-@\t\r";

    private Csv() {
    }

    /** The columns of one entity's file and how a view fills them. */
    record Columns<T>(List<String> header, Function<T, List<String>> values) {

        String headerLine() {
            return Csv.line(header);
        }

        String line(T view) {
            return Csv.line(values.apply(view));
        }
    }

    static final Columns<MemberView> MEMBERS = new Columns<>(
            List.of("id", "user_id", "email", "name", "role", "joined_at", "invited_by_id"),
            m -> fields(m.id(), m.userId(), m.email(), m.name(), m.role(), time(m.joinedAt()), actorId(m.invitedBy())));

    static final Columns<InvitationView> INVITATIONS = new Columns<>(
            List.of("id", "email", "role", "status", "expires_at", "invited_by_id", "created_at"),
            i -> fields(i.id(), i.email(), i.role(), i.status(), time(i.expiresAt()), actorId(i.invitedBy()),
                    time(i.createdAt())));

    static final Columns<ApiKeyView> API_KEYS = new Columns<>(
            List.of("id", "name", "prefix", "scopes", "created_at", "created_by_id", "last_used_at", "expires_at",
                    "revoked_at"),
            k -> fields(k.id(), k.name(), k.prefix(), String.join(" ", k.scopes()), time(k.createdAt()),
                    actorId(k.createdBy()), time(k.lastUsedAt()), time(k.expiresAt()), time(k.revokedAt())));

    static final Columns<EnvironmentView> ENVIRONMENTS = new Columns<>(
            List.of("id", "name", "status", "created_at"),
            e -> fields(e.id(), e.name(), e.status(), time(e.createdAt())));

    static final Columns<EventView> EVENTS = new Columns<>(
            List.of("id", "type", "occurred_at", "actor_id", "actor_type", "resource_type", "resource_id",
                    "request_id", "before", "after"),
            e -> fields(e.id(), e.type(), time(e.occurredAt()), actorId(e.actor()),
                    e.actor() == null ? null : e.actor().subjectType(), e.resource().type(), e.resource().id(),
                    e.requestId(), e.before() == null ? null : e.before().toString(),
                    e.after() == null ? null : e.after().toString()));

    static String line(List<String> fields) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            out.append(field(fields.get(i)));
        }
        return out.append(CRLF).toString();
    }

    /** A null is an empty field. */
    static String field(String value) {
        if (value == null) {
            return "";
        }
        if (!value.isEmpty() && FORMULA_STARTS.indexOf(value.charAt(0)) >= 0) {
            value = "'" + value;
        }
        boolean quote = false;
        for (int i = 0; i < value.length() && !quote; i++) {
            char c = value.charAt(i);
            quote = c == ',' || c == '"' || c == '\r' || c == '\n';
        }
        return quote ? '"' + value.replace("\"", "\"\"") + '"' : value;
    }

    private static List<String> fields(String... values) {
        return new ArrayList<>(Arrays.asList(values));
    }

    private static String time(Instant at) {
        return at == null ? null : JsonSetup.timestamp(at);
    }

    private static String actorId(Actor actor) {
        return actor == null ? null : actor.id();
    }
}
