package dev.atrium.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.RecordedSpans;
import dev.atrium.support.Tokens;
import io.opentelemetry.api.trace.SpanKind;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;

/**
 * Every metric the chart's alerts and dashboard read is one the service really exports: the names in each PromQL
 * expression of the rendered PrometheusRule and dashboard, the labels they select and group by, and the bucket
 * boundaries the latency objective may name, checked against a scrape of this running service's management port after
 * it has served a create (so the provisioning saga's series exist too). A renamed metric or label, or a query with a
 * typo, would otherwise only show as an alert that never fires. And a latency bucket carries an exemplar: the trace id
 * of a request whose trace was recorded.
 */
@QuarkusTest
class ChartMetricsTest {

    /** Labels Prometheus adds to every series when it scrapes a pod (the ServiceMonitor's target labels). */
    private static final Set<String> TARGET_LABELS = Set.of("namespace", "pod", "job", "instance", "service",
            "container", "endpoint");
    private static final Pattern SERIES = Pattern.compile("^([A-Za-z_:][A-Za-z0-9_:]*)(?:\\{([^}]*)})?\\s");
    private static final Pattern EXEMPLAR = Pattern.compile(
            "^http_server_requests_seconds_bucket\\{[^}]*} \\S+ # \\{[^}]*trace_id=\"([0-9a-f]{32})\"[^}]*}");

    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    RecordedSpans spans;

    @Test
    void everyMetricLabelAndBucketInTheRulesAndTheDashboardIsInAScrape() {
        Api.activeWorkspace(Tokens.user(Tokens.unique("scraped")));
        Map<String, Set<String>> labels = new TreeMap<>();
        Map<String, Set<String>> les = new TreeMap<>();
        for (String line : Api.management().get("/q/metrics").then().statusCode(200).extract().asString()
                .split("\n")) {
            Matcher series = SERIES.matcher(line);
            if (line.startsWith("#") || !series.find()) {
                continue;
            }
            Set<String> names = labels.computeIfAbsent(series.group(1), n -> new TreeSet<>());
            Matcher label = Monitoring.LABEL.matcher(series.group(2) == null ? "" : series.group(2));
            while (label.find()) {
                names.add(label.group(1));
                if (label.group(1).equals("le")) {
                    les.computeIfAbsent(series.group(1), n -> new TreeSet<>()).add(label.group(3));
                }
            }
        }
        List<Map<String, Object>> docs = Monitoring.render(Map.of());
        List<String> expressions = Monitoring.expressions(docs);
        assertTrue(expressions.size() > 25, "expressions: " + expressions.size());
        Map<String, String> missing = new TreeMap<>();
        Set<String> read = new TreeSet<>();
        for (String expr : expressions) {
            Set<String> available = new TreeSet<>(TARGET_LABELS);
            for (String name : Monitoring.metricNames(expr)) {
                read.add(name);
                if (!labels.containsKey(name)) {
                    missing.put(name, expr);
                } else {
                    available.addAll(labels.get(name));
                }
            }
            for (Monitoring.Selector selector : Monitoring.selectors(expr)) {
                for (String label : selector.labels().keySet()) {
                    if (!TARGET_LABELS.contains(label) && labels.containsKey(selector.metric())
                            && !labels.get(selector.metric()).contains(label)) {
                        missing.put(selector.metric() + "{" + label + "}", expr);
                    }
                }
                String le = selector.labels().get("le");
                if (le != null && !les.getOrDefault(selector.metric(), Set.of()).contains(le)) {
                    missing.put(selector.metric() + "{le=\"" + le + "\"}", expr);
                }
            }
            for (String label : Monitoring.groupingLabels(expr)) {
                if (!available.contains(label)) {
                    missing.put("by (" + label + ")", expr);
                }
            }
        }
        assertEquals(Map.of(), missing, "metrics and labels read by the chart that the service does not export");
        assertTrue(read.containsAll(Set.of("http_server_requests_seconds_bucket", "atrium_provisioning_runs_total",
                "atrium_provisioning_step_duration_seconds_bucket", "atrium_db_pool_wait_seconds_bucket",
                "sql_pool_active", "atrium_cell_peer_breaker", "atrium_events_feed_lag_seconds",
                "atrium_usage_flush_failures_total")), "read: " + read);

        // Every latency threshold the chart accepts is a bucket boundary the service exports.
        assertEquals(Set.copyOf(Monitoring.latencyThresholds()),
                Set.copyOf(les.get("http_server_requests_seconds_bucket")).stream()
                        .filter(le -> !le.equals("+Inf")).collect(Collectors.toSet()));
    }

    @Test
    void aLatencyBucketLeadsToTheTraceOfARequestInIt() {
        // A bucket keeps one exemplar and replaces it only after some seconds: requests are sent, each in a trace of
        // its own, until a scrape shows one of them on a bucket of their route.
        String token = Tokens.user(Tokens.unique("exemplar"));
        Set<String> sent = new TreeSet<>();
        String found = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (found == null && System.nanoTime() < deadline) {
            String traceId = hex(16);
            sent.add(traceId);
            Api.as(token).header("traceparent", "00-" + traceId + "-" + hex(8) + "-01").get("/v1/me").then()
                    .statusCode(200);
            String scrape = Api.management().accept("application/openmetrics-text; version=1.0.0; charset=utf-8")
                    .get("/q/metrics").then().statusCode(200).extract().asString();
            for (String line : scrape.split("\n")) {
                Matcher m = EXEMPLAR.matcher(line);
                if (m.find() && line.contains("uri=\"/v1/me\"") && sent.contains(m.group(1))) {
                    found = m.group(1);
                }
            }
            sleep(250);
        }
        assertTrue(found != null, "no exemplar of the " + sent.size() + " traced requests on a bucket of /v1/me");
        String trace = found;
        assertTrue(spans.await(trace, t -> t.stream().anyMatch(s -> s.getKind() == SpanKind.SERVER
                && s.getName().equals("GET /v1/me")), Duration.ofSeconds(5)).stream()
                .anyMatch(s -> s.getName().equals("GET /v1/me")), "the exemplar's trace holds the request's span");
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
