package dev.atrium.idempotency;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.hibernate.reactive.mutiny.Mutiny;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.atrium.common.db.DbErrors;
import dev.atrium.common.db.Tx;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.problem.FieldError;
import dev.atrium.common.security.Caller;
import dev.atrium.common.time.Clock;
import dev.atrium.common.web.Reply;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * {@code Idempotency-Key} for POSTs. The key row is inserted in the same transaction as the change it guards: a
 * concurrent duplicate blocks on the unique index until the first commits (then replays) or the lock timeout
 * passes (409 {@code idempotency_key_in_use}); a failed request rolls its key back so the client may retry it.
 * What is stored and replayed is the {@link Reply} the resource made of the result, with its one-time secrets sealed.
 * Work registered to run after the commit ({@link Tx#afterCommit}) runs once for the first request, never on a replay.
 */
@ApplicationScoped
public class Idempotency {

    public static final String HEADER = "Idempotency-Key";
    public static final String REPLAYED = "Idempotent-Replayed";
    private static final Duration RETENTION = Duration.ofHours(24);

    private final ObjectMapper json;
    private final SecretSeal seal;
    private final long lockTimeoutMillis;

    public Idempotency(ObjectMapper json, SecretSeal seal,
            @ConfigProperty(name = "atrium.idempotency.lock-timeout-ms", defaultValue = "250") long lockTimeoutMillis) {
        this.json = json;
        this.seal = seal;
        this.lockTimeoutMillis = lockTimeoutMillis;
    }

    /** What a request produced: the work's result ({@code null} when this was a replay) and the reply sent. */
    public record Outcome<T>(T result, Reply reply) {
        public boolean replayed() {
            return result == null;
        }
    }

    /** For operations whose caller is checked on the way in, before {@code run}, on every attempt. */
    public static Uni<Void> checkedBefore() {
        return Uni.createFrom().voidItem();
    }

    /**
     * Runs {@code work} in one transaction ({@link Tx}), guarded by {@code key} when present, and answers the
     * {@code reply} made of its result. {@code request} is the parsed body: its canonical JSON decides whether a
     * reused key carries the same request. A replay is served only after {@code authorize} passes again: a caller
     * who lost access since the first request (a removed member re-sending an API-key create) gets the refusal, not
     * the stored reply and its secret.
     */
    public <T> Uni<Outcome<T>> run(Caller caller, String key, Object request, Supplier<Uni<?>> authorize,
            Supplier<Uni<T>> work, Function<T, Reply> reply) {
        if (key == null) {
            return Tx.run(() -> work.get().map(result -> new Outcome<>(result, reply.apply(result))));
        }
        if (key.isEmpty() || key.length() > 255 || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            return Uni.createFrom().failure(ApiException.validation(List.of(new FieldError(HEADER,
                    "1 to 255 visible ASCII characters"))));
        }
        String path = caller.pathAndQuery().split("\\?", 2)[0];
        String hash = hash(request);
        String principal = caller.principal().key();
        return Tx.run(() -> Panache.getSession().chain(session -> session
                .createNativeQuery("set local lock_timeout = " + lockTimeoutMillis).executeUpdate()
                .chain(() -> claim(session, principal, path, key, hash))
                .chain(inserted -> {
                    if (inserted == 0) {
                        return authorize.get().chain(() -> replay(session, principal, path, key, hash))
                                .map(replayed -> new Outcome<T>(null, replayed));
                    }
                    return session.createNativeQuery("set local lock_timeout to default").executeUpdate()
                            .chain(work::get)
                            .map(result -> new Outcome<>(result, reply.apply(result)))
                            .call(outcome -> store(session, principal, path, key, outcome.reply()));
                })));
    }

    /**
     * Inserts the key row; {@code 0} when it exists. A concurrent first request holding the key makes this wait,
     * at most the short lock timeout: then it is still in flight.
     */
    private Uni<Integer> claim(Mutiny.Session session, String principal, String path, String key, String hash) {
        return session.createNativeQuery("delete from idempotency_keys where principal = :p and method = 'POST'"
                + " and path = :path and idempotency_key = :k and expires_at < now()")
                .setParameter("p", principal).setParameter("path", path).setParameter("k", key)
                .executeUpdate()
                .chain(() -> session.createNativeQuery("insert into idempotency_keys (principal, method, path,"
                        + " idempotency_key, request_hash, status, response_headers, created_at, expires_at)"
                        + " values (:p, 'POST', :path, :k, :h, 0, '{}'::jsonb, :now, :exp) on conflict do nothing")
                        .setParameter("p", principal).setParameter("path", path).setParameter("k", key)
                        .setParameter("h", hash).setParameter("now", Clock.now())
                        .setParameter("exp", Clock.now().plus(RETENTION))
                        .executeUpdate())
                .onFailure(DbErrors::isLockTimeout)
                .transform(e -> ApiException.conflict("idempotency_key_in_use",
                        "A request with this Idempotency-Key is still in progress; retry shortly."));
    }

    private Uni<Integer> store(Mutiny.Session session, String principal, String path, String key, Reply reply) {
        JsonNode stored = reply.body() == null ? null : seal.sealed(reply.body(), reply.secrets());
        return session.createNativeQuery("update idempotency_keys set status = :s,"
                + " response_headers = cast(cast(:hd as text) as jsonb), response_body = :b where principal = :p"
                + " and method = 'POST' and path = :path and idempotency_key = :k")
                .setParameter("s", reply.status())
                .setParameter("hd", write(reply.headers()))
                .setParameter("b", stored == null ? null : write(stored))
                .setParameter("p", principal).setParameter("path", path).setParameter("k", key)
                .executeUpdate();
    }

    private Uni<Reply> replay(Mutiny.Session session, String principal, String path, String key, String hash) {
        return session.createNativeQuery("select request_hash, status, cast(response_headers as text), response_body"
                + " from idempotency_keys where principal = :p and method = 'POST' and path = :path"
                + " and idempotency_key = :k", Object[].class)
                .setParameter("p", principal).setParameter("path", path).setParameter("k", key)
                .getSingleResult()
                .map(row -> {
                    if (!hash.equals(row[0])) {
                        throw new ApiException(422, "idempotency_key_reused",
                                "This Idempotency-Key was used with a different request body.",
                                List.of(new FieldError(HEADER, "already used for another request")));
                    }
                    Map<String, String> headers = new LinkedHashMap<>(read((String) row[2]));
                    headers.put(REPLAYED, "true");
                    JsonNode body = row[3] == null ? null : seal.opened(tree((String) row[3]));
                    return new Reply(((Number) row[1]).intValue(), headers, body, new LinkedHashSet<>());
                });
    }

    private String hash(Object request) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(write(request == null ? Map.of() : request).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("reply not serializable", e);
        }
    }

    private JsonNode tree(String stored) {
        try {
            return json.readTree(stored);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored reply unreadable", e);
        }
    }

    private Map<String, String> read(String headers) {
        try {
            return json.readValue(headers, new TypeReference<LinkedHashMap<String, String>>() {
            });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored headers unreadable", e);
        }
    }
}
