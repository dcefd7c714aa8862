package dev.atrium.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import com.sun.net.httpserver.HttpServer;

/**
 * An OpenTelemetry collector for packaged cells: it accepts OTLP over HTTP ({@code http/protobuf}, what a cell sends
 * with {@code ATRIUM_OTLP_PROTOCOL=http/protobuf}) on a port of its own and keeps the spans it received. The
 * messages are read by their OTLP field numbers (ExportTraceServiceRequest, ResourceSpans, ScopeSpans, Span), so no
 * generated classes are needed.
 */
final class OtlpCollector implements AutoCloseable {

    /** One received span: ids in hex, its name, its kind (OTLP numbering: 2 server, 3 client) and its cell. */
    record Span(String traceId, String spanId, String parentSpanId, String name, int kind, String region) {

        boolean server() {
            return kind == 2;
        }

        boolean client() {
            return kind == 3;
        }
    }

    private final HttpServer server;
    private final List<Span> spans = new CopyOnWriteArrayList<>();

    private OtlpCollector(HttpServer server) {
        this.server = server;
    }

    static OtlpCollector start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
            OtlpCollector collector = new OtlpCollector(server);
            server.createContext("/", exchange -> {
                try (InputStream body = exchange.getRequestBody()) {
                    InputStream in = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))
                            ? new GZIPInputStream(body)
                            : body;
                    collector.read(in.readAllBytes());
                    exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                    exchange.sendResponseHeaders(200, 0);
                } catch (RuntimeException e) {
                    exchange.sendResponseHeaders(400, -1);
                } finally {
                    exchange.close();
                }
            });
            server.start();
            return collector;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code http://localhost:<port>}, the value of a cell's {@code ATRIUM_OTLP_ENDPOINT}. */
    String endpoint() {
        return "http://localhost:" + server.getAddress().getPort();
    }

    /** Waits (up to {@code timeout}) until the spans of {@code traceId} satisfy {@code until}, and answers them. */
    List<Span> await(String traceId, Predicate<List<Span>> until, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Span> trace = spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
            if (until.test(trace) || System.nanoTime() > deadline) {
                return trace;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return trace;
            }
        }
    }

    private void read(byte[] request) throws InvalidProtocolBufferException {
        for (UnknownFieldSet resourceSpans : messages(UnknownFieldSet.parseFrom(request), 1)) {
            String region = null;
            for (UnknownFieldSet resource : messages(resourceSpans, 1)) {
                for (UnknownFieldSet attribute : messages(resource, 1)) {
                    if (string(attribute, 1).equals("cloud.region")) {
                        region = messages(attribute, 2).stream().map(v -> string(v, 1)).findFirst().orElse(null);
                    }
                }
            }
            for (UnknownFieldSet scopeSpans : messages(resourceSpans, 2)) {
                for (UnknownFieldSet span : messages(scopeSpans, 2)) {
                    List<Long> kind = span.getField(6).getVarintList();
                    spans.add(new Span(hex(span, 1), hex(span, 2), hex(span, 4), string(span, 5),
                            kind.isEmpty() ? 0 : kind.get(0).intValue(), region));
                }
            }
        }
    }

    private static List<UnknownFieldSet> messages(UnknownFieldSet message, int field) {
        List<UnknownFieldSet> out = new ArrayList<>();
        for (ByteString bytes : message.getField(field).getLengthDelimitedList()) {
            try {
                out.add(UnknownFieldSet.parseFrom(bytes));
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalArgumentException("field " + field + " is no message", e);
            }
        }
        return out;
    }

    private static String string(UnknownFieldSet message, int field) {
        List<ByteString> values = message.getField(field).getLengthDelimitedList();
        return values.isEmpty() ? "" : values.get(0).toStringUtf8();
    }

    private static String hex(UnknownFieldSet message, int field) {
        List<ByteString> values = message.getField(field).getLengthDelimitedList();
        return values.isEmpty() ? "" : HexFormat.of().formatHex(values.get(0).toByteArray());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
