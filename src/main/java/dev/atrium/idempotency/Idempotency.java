package dev.atrium.idempotency;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.atrium.common.db.DbErrors;
import dev.atrium.common.db.Shield;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.problem.FieldError;
import dev.atrium.common.security.Caller;
import dev.atrium.common.time.Clock;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * {@code Idempotency-Key} for POSTs. The key row is inserted in the same transaction as the change it guards: a
 * concurrent duplicate blocks on the unique index until the first commits (then replays) or the lock timeout
 * passes (409 {@code idempotency_key_in_use}); a failed request rolls its key back so the client may retry it.
 */
@ApplicationScoped
public class Idempotency {

    public static final String HEADER = "Idempotency-Key";
    public static final String REPLAYED = "Idempotent-Replayed";

    /** For operations whose caller is checked on the way in, before {@code run}, on every attempt. */
    public static Uni<Void> checkedBefore() {
        return Uni.createFrom().voidItem();
    }
    private static final Duration RETENTION = Duration.ofHours(24);

    private final ObjectMapper json;
    private final long lockTimeoutMillis;

    public Idempotency(ObjectMapper json,
            @ConfigProperty(name = "atrium.idempotency.lock-timeout-ms", defaultValue = "250") long lockTimeoutMillis) {
        this.json = json;
        this.lockTimeoutMillis = lockTimeoutMillis;
    }

    /** A response as it leaves a transaction: what is stored for replay and what is sent. */
    public record Result(int status, Map<String, String> headers, Object body) {
        public Result(int status, Object body) {
            this(status, new LinkedHashMap<>(), body);
        }

        public Result header(String name, String value) {
            headers.put(name, value);
            return this;
        }
    }

    /**
     * Runs {@code work} in one transaction, guarded by {@code key} when present. {@code request} is the parsed body;
     * its canonical JSON decides whether a reused key carries the same request. A replay is served only after
     * {@code authorize} passes again: a caller who lost access since the first request (a removed member re-sending
     * an API-key create) gets the refusal, not the stored response and its secret.
     */
    public Uni<Response> run(Caller caller, String key, Object request, Supplier<Uni<?>> authorize,
            Supplier<Uni<Result>> work) {
        if (key == null) {
            return Shield.of(() -> Panache.withTransaction(work)).map(this::toResponse);
        }
        if (key.isEmpty() || key.length() > 255 || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            return Uni.createFrom().failure(ApiException.validation(List.of(new FieldError(HEADER,
                    "1 to 255 visible ASCII characters"))));
        }
        String path = caller.pathAndQuery().split("\\?", 2)[0];
        String hash = hash(request);
        String principal = caller.principal().key();
        return Shield.of(() -> Panache.withTransaction(() -> Panache.getSession().chain(session -> session
                .createNativeQuery("set local lock_timeout = " + lockTimeoutMillis).executeUpdate()
                .chain(() -> claim(session, principal, path, key, hash))
                .chain(inserted -> {
                    if (inserted == 0) {
                        return authorize.get().chain(() -> replay(session, principal, path, key, hash));
                    }
                    return session.createNativeQuery("set local lock_timeout to default").executeUpdate()
                            .chain(work::get)
                            .call(result -> session.createNativeQuery("update idempotency_keys set status = :s,"
                                    + " response_headers = cast(cast(:hd as text) as jsonb), response_body = :b where principal = :p"
                                    + " and method = 'POST' and path = :path and idempotency_key = :k")
                                    .setParameter("s", result.status())
                                    .setParameter("hd", write(result.headers()))
                                    .setParameter("b", result.body() == null ? null : write(result.body()))
                                    .setParameter("p", principal).setParameter("path", path).setParameter("k", key)
                                    .executeUpdate())
                            .map(this::toResponse);
                }))));
    }

    /**
     * Inserts the key row; {@code 0} when it exists. A concurrent first request holding the key makes this wait,
     * at most the short lock timeout: then it is still in flight.
     */
    private Uni<Integer> claim(org.hibernate.reactive.mutiny.Mutiny.Session session, String principal, String path,
            String key, String hash) {
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

    private Uni<Response> replay(org.hibernate.reactive.mutiny.Mutiny.Session session, String principal, String path,
            String key, String hash) {
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
                    Map<String, String> headers = read((String) row[2]);
                    Response.ResponseBuilder b = Response.status(((Number) row[1]).intValue());
                    headers.forEach(b::header);
                    b.header(REPLAYED, "true");
                    if (row[3] != null) {
                        b.entity(row[3]).type(MediaType.APPLICATION_JSON_TYPE);
                    }
                    return b.build();
                });
    }

    public Response toResponse(Result result) {
        Response.ResponseBuilder b = Response.status(result.status());
        result.headers().forEach(b::header);
        if (result.body() != null) {
            b.entity(write(result.body())).type(MediaType.APPLICATION_JSON_TYPE);
        }
        return b.build();
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
            throw new IllegalStateException("response not serializable", e);
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
