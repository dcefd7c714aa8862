package dev.atrium.cell;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.atrium.common.problem.ApiException;
import dev.atrium.common.security.Principal;
import dev.atrium.common.security.Role;
import dev.atrium.common.web.RequestIds;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

/**
 * Calls to peer cells over their public API, always with the caller's own {@code Authorization} header (and
 * {@code Request-Id}), so the peer decides exactly as it would for the caller and no cell holds a credential to
 * another. One Quarkus REST client per peer with a short connect and read timeout, a deadline on top of it (name
 * resolution is not covered by the connect timeout), and a {@link CircuitBreaker} per peer so an unreachable cell
 * costs one fast failure instead of a timeout per request.
 *
 * <p>Refused at start: a plain-HTTP peer unless {@code atrium.cell.allow-insecure-peers} (dev and tests), a role
 * cache longer than 30 s, and a directory region that is neither this cell nor a peer.
 *
 * <p>Metrics: {@code atrium.cell.peer.calls} by {@code region} and {@code outcome} ({@code ok}, {@code rejected}: a
 * 4xx answer, {@code failed}: transport error or 5xx, {@code timeout}, {@code short_circuited}: refused by an open
 * circuit), and the gauge {@code atrium.cell.peer.breaker} by {@code region} (0 closed, 1 open, 2 half-open).
 */
@Startup
@ApplicationScoped
public class PeerClient {

    private static final Logger LOG = Logger.getLogger(PeerClient.class);
    static final Duration MAX_ROLE_CACHE = Duration.ofSeconds(30);
    private static final int MAX_CACHED = 10_000;
    private static final long DEFAULT_RETRY_AFTER = 5;

    /** The caller's credentials as they arrived, to be sent on unchanged. */
    public record Forward(String authorization, String requestId) {
    }

    /** One page of a peer's list: its items as sent, and the peer's own cursor of the next page. */
    public record PeerPage(List<JsonNode> items, String nextCursor) {
    }

    private record Cached(RemoteOrganization value, long expiresAt) {
    }

    private final Cells cells;
    private final ObjectMapper json;
    private final MeterRegistry metrics;
    private final Instance<HttpServerRequest> request;
    private final Duration timeout;
    private final long cacheTtlMillis;
    private final String directory;
    private final Map<String, PeerApi> apis = new TreeMap<>();
    private final Map<String, CircuitBreaker> breakers = new TreeMap<>();
    private final Map<String, Cached> roles = new ConcurrentHashMap<>();

    public PeerClient(Cells cells, PeerConfig config, ObjectMapper json, MeterRegistry metrics,
            Instance<HttpServerRequest> request) {
        this.cells = cells;
        this.json = json;
        this.metrics = metrics;
        this.request = request;
        this.timeout = config.peerTimeout();
        if (config.roleCacheTtl().isNegative() || config.roleCacheTtl().compareTo(MAX_ROLE_CACHE) > 0) {
            throw new IllegalStateException("atrium.cell.role-cache-ttl must be between 0 and 30s, got "
                    + config.roleCacheTtl());
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalStateException("atrium.cell.peer-timeout must be positive");
        }
        this.cacheTtlMillis = config.roleCacheTtl().toMillis();
        this.directory = config.directoryRegion().filter(r -> !r.isBlank()).orElse(cells.region());
        if (!directory.equals(cells.region()) && !cells.peers().containsKey(directory)) {
            throw new IllegalStateException("atrium.cell.directory-region '" + directory
                    + "' is neither this cell nor a configured peer");
        }
        cells.peers().forEach((region, url) -> {
            URI uri = URI.create(url);
            boolean https = "https".equalsIgnoreCase(uri.getScheme());
            boolean http = "http".equalsIgnoreCase(uri.getScheme());
            if (!https && !(http && config.allowInsecurePeers())) {
                throw new IllegalStateException("peer " + region + " has base URL " + url
                        + ": peers are called over HTTPS only (atrium.cell.allow-insecure-peers is for dev and tests)");
            }
            long millis = timeout.toMillis();
            apis.put(region, QuarkusRestClientBuilder.newBuilder()
                    .baseUri(uri)
                    .connectTimeout(millis, TimeUnit.MILLISECONDS)
                    .readTimeout(millis, TimeUnit.MILLISECONDS)
                    .property("microprofile.rest.client.disable.default.mapper", true)
                    .build(PeerApi.class));
            CircuitBreaker breaker = new CircuitBreaker(config.breakerFailures(), config.breakerOpenFor(),
                    System::currentTimeMillis);
            breakers.put(region, breaker);
            Gauge.builder("atrium.cell.peer.breaker", breaker, b -> b.state().gauge)
                    .description("Circuit state per peer cell: 0 closed, 1 open, 2 half-open")
                    .tag("region", region).register(metrics);
            // Registered at start, so a rate over them is 0, not absent, before the first call.
            for (String outcome : List.of("ok", "rejected", "failed", "timeout", "short_circuited")) {
                metrics.counter("atrium.cell.peer.calls", "region", region, "outcome", outcome);
            }
        });
    }

    /** The region holding users' personal organizations. */
    public String directoryRegion() {
        return directory;
    }

    public boolean isDirectory() {
        return directory.equals(cells.region());
    }

    /** The current request's credentials; call while the request is being served (it reads its headers). */
    public Forward forward() {
        HttpServerRequest r = request.get();
        return new Forward(r.getHeader(HttpHeaders.AUTHORIZATION), RequestIds.of(r));
    }

    /**
     * The organization {@code id} as its home cell {@code region} shows it to the caller, with the caller's role
     * there (users only). Not a member or no such organization: 404; home unreachable: 503 {@code cell_unavailable}.
     * Answers are reused for at most {@code atrium.cell.role-cache-ttl} per (principal, organization).
     */
    public Uni<RemoteOrganization> organization(String region, String id, Principal caller, Forward forward) {
        String key = caller.key() + '\u001f' + id;
        RemoteOrganization cached = cached(key);
        if (cached != null) {
            return Uni.createFrom().item(cached);
        }
        return describe(region, id, forward)
                .flatMap(org -> caller.isUser()
                        ? call(region, api -> api.me(forward.authorization(), forward.requestId()),
                                body -> roleIn(body, id))
                                .map(role -> withRole(org, role.orElse(null)))
                        : Uni.createFrom().item(org))
                .invoke(org -> remember(key, org));
    }

    /**
     * The caller's personal organization on the directory cell, created there on first use (its {@code GET /v1/me}
     * does that), with the caller's role in it.
     */
    public Uni<RemoteOrganization> personalOrganization(Principal caller, Forward forward) {
        String key = caller.key() + "\u001fpersonal";
        RemoteOrganization cached = cached(key);
        if (cached != null) {
            return Uni.createFrom().item(cached);
        }
        return call(directory, api -> api.me(forward.authorization(), forward.requestId()), this::personalIn)
                .flatMap(found -> describe(directory, found.id(), forward).map(org -> withRole(org, found.role())))
                .invoke(org -> {
                    remember(key, org);
                    remember(caller.key() + '\u001f' + org.id(), org);
                });
    }

    /** One page of the caller's workspaces on a peer, with the same filters; never asks the peer to fan out. */
    public Uni<PeerPage> workspaces(String region, Map<String, String> query, Forward forward) {
        return call(region, api -> api.workspaces(query, forward.authorization(), forward.requestId()), response -> {
            JsonNode body = body(region, response);
            if (!body.isArray()) {
                throw unavailable(region, DEFAULT_RETRY_AFTER);
            }
            List<JsonNode> items = new ArrayList<>(body.size());
            body.forEach(items::add);
            return new PeerPage(items, nextCursor(response.getHeaderString("Link")));
        });
    }

    private Uni<RemoteOrganization> describe(String region, String id, Forward forward) {
        return call(region, api -> api.organization(id, forward.authorization(), forward.requestId()), response -> {
            JsonNode body = body(region, response);
            if (!id.equals(body.path("id").asText()) || !body.path("name").isTextual()
                    || !body.path("slug").isTextual()) {
                throw unavailable(region, DEFAULT_RETRY_AFTER);
            }
            return new RemoteOrganization(id, body.get("name").asText(), body.get("slug").asText(),
                    body.path("personal").asBoolean(false), region, null);
        });
    }

    private static RemoteOrganization withRole(RemoteOrganization org, Role role) {
        return new RemoteOrganization(org.id(), org.name(), org.slug(), org.personal(), org.homeRegion(), role);
    }

    private Optional<Role> roleIn(Response response, String organizationId) {
        JsonNode body = body(null, response);
        for (JsonNode m : body.path("organizations")) {
            if (organizationId.equals(m.path("id").asText())) {
                return Role.parse(m.path("role").asText());
            }
        }
        return Optional.empty();
    }

    private RemoteOrganization personalIn(Response response) {
        JsonNode body = body(directory, response);
        for (JsonNode m : body.path("organizations")) {
            if (m.path("personal").asBoolean(false)) {
                return new RemoteOrganization(m.path("id").asText(), m.path("name").asText(), null, true, directory,
                        Role.parse(m.path("role").asText()).orElse(null));
            }
        }
        // The directory creates the personal organization on this very call; none means it is not a directory.
        throw unavailable(directory, DEFAULT_RETRY_AFTER);
    }

    /**
     * Sends one call through the peer's circuit. Transport errors, timeouts and 5xx count against the circuit and
     * become 503 {@code cell_unavailable}; 404 and 403 keep their meaning, and 400 (only a list's cursor can draw
     * one) is {@code invalid_cursor}; any other 4xx, such as a 401 for a token the peer does not trust, becomes 503
     * too (the peer cannot serve this caller, and the client cannot fix that), without counting against the circuit.
     */
    private <T> Uni<T> call(String region, Function<PeerApi, Uni<Response>> send, Function<Response, T> read) {
        PeerApi api = apis.get(region);
        CircuitBreaker breaker = breakers.get(region);
        if (api == null) {
            return Uni.createFrom().failure(ApiException.notFound());
        }
        if (!breaker.tryAcquire()) {
            count(region, "short_circuited");
            return Uni.createFrom().failure(unavailable(region, breaker.retryAfterSeconds()));
        }
        return Uni.createFrom().deferred(() -> send.apply(api))
                .ifNoItem().after(timeout.plusMillis(250)).failWith(TimeoutException::new)
                .onCancellation().invoke(breaker::abandoned)
                .onItemOrFailure().transformToUni((response, failure) -> {
                    if (failure != null) {
                        breaker.failure();
                        boolean timedOut = failure instanceof TimeoutException
                                || failure.getCause() instanceof TimeoutException;
                        count(region, timedOut ? "timeout" : "failed");
                        LOG.debugf("peer %s unreachable: %s", region, failure.toString());
                        return Uni.createFrom().failure(unavailable(region, breaker.retryAfterSeconds()));
                    }
                    int status = response.getStatus();
                    if (status >= 500) {
                        breaker.failure();
                        count(region, "failed");
                        return Uni.createFrom().failure(unavailable(region, breaker.retryAfterSeconds()));
                    }
                    breaker.success();
                    if (status >= 400) {
                        count(region, "rejected");
                        return Uni.createFrom().failure(switch (status) {
                            case 404 -> ApiException.notFound();
                            case 403 -> ApiException.forbidden("The organization's home cell does not allow this.");
                            case 400 -> ApiException.invalidCursor();
                            default -> unavailable(region, DEFAULT_RETRY_AFTER);
                        });
                    }
                    count(region, "ok");
                    try {
                        return Uni.createFrom().item(read.apply(response));
                    } catch (RuntimeException e) {
                        return Uni.createFrom().failure(e);
                    }
                });
    }

    private JsonNode body(String region, Response response) {
        try {
            String text = response.readEntity(String.class);
            return json.readTree(text == null ? "null" : text);
        } catch (JsonProcessingException | RuntimeException e) {
            throw unavailable(region == null ? "peer" : region, DEFAULT_RETRY_AFTER);
        }
    }

    /** The {@code cursor} of an RFC 8288 {@code rel="next"} link, or {@code null}. */
    static String nextCursor(String link) {
        if (link == null || !link.contains("rel=\"next\"")) {
            return null;
        }
        int start = link.indexOf('<');
        int end = link.indexOf('>', start + 1);
        if (start < 0 || end < 0) {
            return null;
        }
        String target = link.substring(start + 1, end);
        int q = target.indexOf('?');
        if (q < 0) {
            return null;
        }
        for (String pair : target.substring(q + 1).split("&")) {
            if (pair.startsWith("cursor=")) {
                return URLDecoder.decode(pair.substring("cursor=".length()), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    static ApiException unavailable(String region, long retryAfterSeconds) {
        return ApiException.cellUnavailable(region, retryAfterSeconds);
    }

    private void count(String region, String outcome) {
        metrics.counter("atrium.cell.peer.calls", "region", region, "outcome", outcome).increment();
    }

    private RemoteOrganization cached(String key) {
        Cached hit = roles.get(key);
        if (hit == null) {
            return null;
        }
        if (hit.expiresAt() <= System.currentTimeMillis()) {
            roles.remove(key, hit);
            return null;
        }
        return hit.value();
    }

    private void remember(String key, RemoteOrganization value) {
        if (cacheTtlMillis <= 0) {
            return;
        }
        if (roles.size() >= MAX_CACHED) {
            long now = System.currentTimeMillis();
            roles.values().removeIf(c -> c.expiresAt() <= now);
            if (roles.size() >= MAX_CACHED) {
                roles.clear();
            }
        }
        roles.put(key, new Cached(value, System.currentTimeMillis() + cacheTtlMillis));
    }

    /** Peer regions, sorted. */
    public List<String> regions() {
        return Collections.unmodifiableList(new ArrayList<>(apis.keySet()));
    }
}
