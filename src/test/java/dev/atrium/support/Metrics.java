package dev.atrium.support;

import java.util.function.Predicate;

/** Reads the Prometheus scrape of the management port as a user of the metrics would. */
public final class Metrics {

    private Metrics() {
    }

    /** The scrape, now. */
    public static String scrape() {
        return Api.management().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    /** The sum of the values of the sample lines of a fresh scrape that match. */
    public static double sum(Predicate<String> line) {
        return sum(scrape(), line);
    }

    /** The sum of the values of the sample lines of {@code scrape} that match. */
    public static double sum(String scrape, Predicate<String> line) {
        return scrape.lines().filter(line).mapToDouble(Metrics::value).sum();
    }

    /** The value of one sample line, which may end with an exemplar (" # {trace_id=..} value timestamp"). */
    public static double value(String sampleLine) {
        String sample = sampleLine.replaceFirst(" # .*$", "");
        return Double.parseDouble(sample.substring(sample.lastIndexOf(' ') + 1));
    }
}
