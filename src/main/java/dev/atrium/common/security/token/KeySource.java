package dev.atrium.common.security.token;

import java.time.Duration;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * Where an issuer's keys are read from, without blocking: an {@code https} URL (a JWKS, fetched with the Vert.x client
 * under a deadline), a file (read again on every refresh, so a rotated Secret is picked up), or the key text itself.
 */
interface KeySource {

    /** A JWKS larger than this is refused rather than read into memory. */
    int MAX_BYTES = 1 << 20;

    java.util.regex.Pattern BASE64_KEY = java.util.regex.Pattern.compile("[A-Za-z0-9+/=\\s]{100,}");

    /** The text of the key set; fails when it cannot be had within the source's deadline. */
    Uni<String> load();

    /** Whether loading again can give other keys (an inline key never changes). */
    boolean changes();

    /** For logs: the URL or path, never key material. */
    String describe();

    static KeySource of(String keys, Vertx vertx, HttpClient client, Duration timeout) {
        if (keys.startsWith("https://") || keys.startsWith("http://")) {
            return new Url(keys, client, timeout);
        }
        String trimmed = keys.trim();
        // A path has dots or is short; a base64 DER key is long and has none.
        if (trimmed.startsWith("{") || trimmed.startsWith("-----BEGIN") || BASE64_KEY.matcher(trimmed).matches()) {
            return new Inline(keys);
        }
        return new File(keys.startsWith("file:") ? keys.substring("file:".length()) : keys, vertx, timeout);
    }

    /** The client every URL source shares: short connect timeout, certificates checked against the JVM's trust store. */
    static HttpClient client(Vertx vertx, Duration timeout) {
        return vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout((int) Math.max(1, timeout.toMillis()))
                .setVerifyHost(true)
                .setMaxPoolSize(4)
                .setKeepAlive(false));
    }

    record Inline(String text) implements KeySource {
        @Override
        public Uni<String> load() {
            return Uni.createFrom().item(text);
        }

        @Override
        public boolean changes() {
            return false;
        }

        @Override
        public String describe() {
            return "(configured key)";
        }
    }

    record File(String path, Vertx vertx, Duration timeout) implements KeySource {
        @Override
        public Uni<String> load() {
            return fromFuture(vertx.fileSystem().readFile(path).compose(b -> b.length() > MAX_BYTES
                    ? Future.failedFuture(new IllegalStateException(path + " is larger than " + MAX_BYTES + " bytes"))
                    : Future.succeededFuture(b.toString())))
                    .ifNoItem().after(timeout).failWith(() -> new IllegalStateException("reading " + path + " timed out"));
        }

        @Override
        public boolean changes() {
            return true;
        }

        @Override
        public String describe() {
            return path;
        }
    }

    record Url(String url, HttpClient client, Duration timeout) implements KeySource {
        @Override
        public Uni<String> load() {
            RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url)
                    .setConnectTimeout(timeout.toMillis()).setIdleTimeout(timeout.toMillis())
                    .putHeader("Accept", "application/jwk-set+json, application/json");
            Future<String> body = client.request(options)
                    .compose(request -> request.send())
                    .compose(response -> {
                        if (response.statusCode() != 200) {
                            return Future.failedFuture(new IllegalStateException(url + " answered "
                                    + response.statusCode()));
                        }
                        String length = response.getHeader("Content-Length");
                        if (length != null && length.matches("\\d{1,12}") && Long.parseLong(length) > MAX_BYTES) {
                            return Future.failedFuture(new IllegalStateException(url + " sent more than " + MAX_BYTES
                                    + " bytes"));
                        }
                        return response.body();
                    })
                    .compose(b -> b.length() > MAX_BYTES
                            ? Future.failedFuture(new IllegalStateException(url + " sent more than " + MAX_BYTES
                                    + " bytes"))
                            : Future.succeededFuture(b.toString()));
            // A server that accepts the connection and then drips or stalls must not hold a request: one deadline.
            return fromFuture(body).ifNoItem().after(timeout)
                    .failWith(() -> new IllegalStateException(url + " did not answer within " + timeout.toMillis()
                            + " ms"));
        }

        @Override
        public boolean changes() {
            return true;
        }

        @Override
        public String describe() {
            return url;
        }
    }

    private static <T> Uni<T> fromFuture(Future<T> future) {
        return Uni.createFrom().emitter(emitter -> future.onComplete(result -> {
            if (result.succeeded()) {
                emitter.complete(result.result());
            } else {
                emitter.fail(result.cause());
            }
        }));
    }
}
