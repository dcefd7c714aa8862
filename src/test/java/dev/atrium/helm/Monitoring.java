package dev.atrium.helm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;

/**
 * The chart's monitoring manifests (the Grafana dashboard ConfigMap and the PrometheusRule), rendered for a cell
 * overlay with both switched on, and the PromQL in them: every expression of the rules and the dashboard, and the
 * metric names each one reads.
 */
final class Monitoring {

    static final Path CHART = Path.of("helm/atrium");
    static final Path OVERLAY = Path.of("deploy/cells/us-east-1.yaml");
    static final String NAMESPACE = "atrium-us-east-1";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
            "ignoring", "group_left", "group_right", "inf", "nan", "Inf", "NaN");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern NAME = Pattern.compile("(?<![A-Za-z0-9_:.$])([A-Za-z_:][A-Za-z0-9_:]*)(\\s*\\()?");
    /** One label matcher: its name, operator and (unquoted) value. */
    static final Pattern LABEL = Pattern.compile(
            "([A-Za-z_][A-Za-z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern SELECTOR = Pattern.compile("([A-Za-z_:][A-Za-z0-9_:]*)\\s*\\{([^}]*)}");
    private static final Pattern BY = Pattern.compile("\\bby\\s*\\(([^)]*)\\)");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([A-Za-z_:][A-Za-z0-9_:]*)");

    private Monitoring() {
    }

    /** Everything the chart renders for the us-east-1 overlay with the dashboard and the rule on, plus {@code sets}. */
    static List<Map<String, Object>> render(Map<String, Object> sets) {
        TemplateCommand command = new Helm(CHART).template().withName("atrium").withNamespace(NAMESPACE)
                .withKubeVersion("1.31.0").withValuesFile(OVERLAY)
                .set("metrics.dashboard.enabled", "true").set("metrics.prometheusRule.enabled", "true");
        sets.forEach(command::set);
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml(new SafeConstructor(options)).loadAll(command.call())) {
            if (doc != null) {
                docs.add(map(doc));
            }
        }
        return docs;
    }

    static Map<String, Object> kind(List<Map<String, Object>> docs, String apiVersion, String kind, String name) {
        for (Map<String, Object> doc : docs) {
            if (apiVersion.equals(doc.get("apiVersion")) && kind.equals(doc.get("kind"))
                    && (name == null || name.equals(map(doc.get("metadata")).get("name")))) {
                return doc;
            }
        }
        return null;
    }

    /** The dashboard, parsed from its ConfigMap. */
    static JsonNode dashboard(List<Map<String, Object>> docs) {
        Map<String, Object> configMap = kind(docs, "v1", "ConfigMap", "atrium-dashboard");
        if (configMap == null) {
            throw new AssertionError("no dashboard ConfigMap");
        }
        try {
            return JSON.readTree((String) map(configMap.get("data")).get("atrium-cell.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The rule's alerts: name to the rule (expr, for, labels, annotations). */
    static List<Map<String, Object>> alerts(List<Map<String, Object>> docs) {
        Map<String, Object> rule = kind(docs, "monitoring.coreos.com/v1", "PrometheusRule", null);
        if (rule == null) {
            throw new AssertionError("no PrometheusRule");
        }
        List<Map<String, Object>> alerts = new ArrayList<>();
        for (Object group : (List<?>) map(rule.get("spec")).get("groups")) {
            for (Object r : (List<?>) map(group).get("rules")) {
                alerts.add(map(r));
            }
        }
        return alerts;
    }

    /** Every PromQL expression of the rule and the dashboard (panel targets, and the variables' queries). */
    static List<String> expressions(List<Map<String, Object>> docs) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> alert : alerts(docs)) {
            out.add(String.valueOf(alert.get("expr")));
        }
        JsonNode dashboard = dashboard(docs);
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                out.add(target.path("expr").asText());
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            Matcher m = LABEL_VALUES.matcher(variable.path("definition").asText());
            if (m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    /** The metric names a PromQL expression reads (not its functions, keywords, labels or Grafana variables). */
    static Set<String> metricNames(String promql) {
        String s = STRING.matcher(promql).replaceAll("\"\"");
        s = s.replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^\\]]*]", " ").replaceAll("\\$\\w+", " ");
        s = GROUPING.matcher(s).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        Matcher m = NAME.matcher(s);
        while (m.find()) {
            if (m.group(2) == null && !KEYWORDS.contains(m.group(1))) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** A series selector of an expression: the metric and its label matchers (label to value). */
    record Selector(String metric, Map<String, String> labels) {
    }

    static List<Selector> selectors(String promql) {
        List<Selector> out = new ArrayList<>();
        Matcher m = SELECTOR.matcher(promql);
        while (m.find()) {
            Map<String, String> labels = new TreeMap<>();
            Matcher label = LABEL.matcher(m.group(2));
            while (label.find()) {
                labels.put(label.group(1), label.group(3));
            }
            out.add(new Selector(m.group(1), labels));
        }
        return out;
    }

    /** The labels an expression groups by ({@code by (...)}). */
    static Set<String> groupingLabels(String promql) {
        Set<String> out = new TreeSet<>();
        Matcher m = BY.matcher(STRING.matcher(promql).replaceAll("\"\""));
        while (m.find()) {
            for (String label : m.group(1).split(",")) {
                if (!label.isBlank()) {
                    out.add(label.trim());
                }
            }
        }
        return out;
    }

    /** The latency thresholds the chart's schema accepts for the latency objective. */
    static List<String> latencyThresholds() {
        try {
            JsonNode schema = JSON.readTree(CHART.resolve("values.schema.json").toFile());
            List<String> out = new ArrayList<>();
            schema.at("/properties/metrics/properties/prometheusRule/properties/latency/properties"
                    + "/thresholdSeconds/enum").forEach(v -> out.add(v.asText()));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }
}
