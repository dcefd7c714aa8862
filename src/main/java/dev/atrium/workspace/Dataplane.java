package dev.atrium.workspace;

import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.atrium.provisioning.StepFailure;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.core.http.HttpClient;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The dataplane API the saga's dataplane step talks to. Every call carries the step's idempotency key, so a call
 * repeated after a crash or a timeout (the work may have happened) is recognised by the dataplane and not done twice.
 */
@ApplicationScoped
public class Dataplane {

    /**
     * A failure worth retrying (timeouts, connection errors, 5xx, 408, 429) or not (any other 4xx). Its message is a
     * stable code and a sentence, shown to whoever reads the workspace or its run; the detail (the dataplane's
     * internal address, the transport's own error) is for the log only.
     */
    public static class DataplaneException extends StepFailure {
        private static final long serialVersionUID = 1L;

        DataplaneException(String code, String message, String detail, boolean retryable) {
            super(code, message, detail, retryable);
        }
    }

    private final DataplaneConfig config;
    private final ObjectMapper json;
    private final HttpClient client;

    public Dataplane(DataplaneConfig config, ObjectMapper json, Vertx vertx) {
        this.config = config;
        this.json = json;
        Duration timeout = config.timeout();
        this.client = vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout((int) timeout.toMillis())
                .setMaxPoolSize(config.maxConnections())
                .setKeepAlive(true));
    }

    /** A call's own timeout (its wait for a connection adds at most two seconds). */
    public Duration timeout() {
        return config.timeout();
    }

    public boolean configured() {
        return config.url().filter(u -> !u.isBlank()).isPresent();
    }

    /** {@code PUT {url}/workspaces/{id}}: creates or resumes the workspace's dataplane resources. */
    public Uni<Void> provision(String workspaceId, Map<String, Object> body, String idempotencyKey) {
        return call(HttpMethod.PUT, workspaceId, body, idempotencyKey, false);
    }

    /** {@code DELETE {url}/workspaces/{id}}: removes them; a 404 means already gone. */
    public Uni<Void> deprovision(String workspaceId, String idempotencyKey) {
        return call(HttpMethod.DELETE, workspaceId, null, idempotencyKey, true);
    }

    private Uni<Void> call(HttpMethod method, String workspaceId, Object body, String idempotencyKey,
            boolean goneIsDone) {
        String base = config.url().orElseThrow();
        String url = (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/workspaces/" + workspaceId;
        Duration timeout = config.timeout();
        RequestOptions options = new RequestOptions().setMethod(method).setAbsoluteURI(url)
                .setIdleTimeout(timeout.toMillis())
                .putHeader("Idempotency-Key", idempotencyKey)
                .putHeader("Content-Type", "application/json")
                .putHeader("Accept", "application/json");
        Buffer payload;
        try {
            payload = body == null ? Buffer.buffer() : Buffer.buffer(json.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            return Uni.createFrom().failure(new DataplaneException("dataplane_request_invalid",
                    "the request to the dataplane could not be written", e.toString(), false));
        }
        return client.request(options)
                .chain(request -> request.send(payload))
                .chain(response -> response.body().map(b -> response.statusCode()))
                // The request's own idle timeout normally ends a slow call; this bounds the wait for a connection.
                .ifNoItem().after(timeout.plusSeconds(2)).failWith(() -> new DataplaneException("dataplane_timeout",
                        "the dataplane did not answer in time", method + " " + url + " got no answer within "
                                + timeout.plusSeconds(2).toMillis() + " ms", true))
                .onFailure(t -> !(t instanceof DataplaneException))
                .transform(t -> timedOut(t)
                        ? new DataplaneException("dataplane_timeout", "the dataplane did not answer in time",
                                method + " " + url + " failed: " + t, true)
                        : new DataplaneException("dataplane_unreachable", "the dataplane could not be reached",
                                method + " " + url + " failed: " + t, true))
                .map(status -> {
                    if (status / 100 == 2 || (goneIsDone && status == 404)) {
                        return null;
                    }
                    boolean retryable = status >= 500 || status == 408 || status == 429;
                    throw new DataplaneException(retryable ? "dataplane_error" : "dataplane_rejected",
                            (retryable ? "the dataplane answered HTTP " : "the dataplane refused the request: HTTP ")
                                    + status, method + " " + url + " answered " + status, retryable);
                })
                .replaceWithVoid();
    }

    private static boolean timedOut(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.util.concurrent.TimeoutException
                    || c instanceof io.netty.handler.timeout.TimeoutException
                    || c.getClass().getSimpleName().contains("Timeout")) {
                return true;
            }
        }
        return false;
    }

    @PreDestroy
    void close() {
        client.closeAndForget();
    }
}
