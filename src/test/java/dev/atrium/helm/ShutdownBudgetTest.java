package dev.atrium.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * A pod being stopped gets the chart's terminationGracePeriodSeconds in all, then SIGKILL. Within it come the preStop
 * pause, the service's shutdown delay (readiness DOWN, still serving) and its drain timeout (accepted requests
 * finish), and the final writes after them: the grace period must cover the first three with time to spare, or
 * requests in flight are cut off by the kill.
 */
class ShutdownBudgetTest {

    private static final Path DEPLOYMENT = Path.of("helm/atrium/templates/deployment.yaml");
    private static final Path PROPERTIES = Path.of("src/main/resources/application.properties");
    /** Left for the usage and API-key counters' final writes and the JVM's exit. */
    private static final int SPARE_SECONDS = 10;

    @Test
    void theGracePeriodCoversPreStopDelayAndDrain() throws IOException {
        String deployment = Files.readString(DEPLOYMENT);
        int grace = Integer.parseInt(find(deployment, "terminationGracePeriodSeconds: (\\d+)"));
        int preStop = Integer.parseInt(find(deployment, "command: \\[\"sleep\", \"(\\d+)\"\\]"));

        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(PROPERTIES)) {
            properties.load(reader);
        }
        assertEquals("true", properties.getProperty("quarkus.shutdown.delay-enabled"),
                "without the delay readiness never reports the shutdown");
        int delay = defaultSeconds(properties.getProperty("quarkus.shutdown.delay"));
        int drain = defaultSeconds(properties.getProperty("quarkus.shutdown.timeout"));

        assertTrue(preStop > 0 && delay >= 0 && drain > 0,
                "preStop " + preStop + ", delay " + delay + ", drain " + drain);
        assertTrue(preStop + delay + drain + SPARE_SECONDS <= grace, "terminationGracePeriodSeconds " + grace
                + " < preStop " + preStop + " + delay " + delay + " + drain " + drain + " + " + SPARE_SECONDS);
    }

    private static String find(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "no match for " + regex);
        String value = m.group(1);
        assertTrue(!m.find(), "more than one match for " + regex);
        return value;
    }

    /** The seconds of a {@code ${ENV:<n>s}} default, the value production runs with unless its environment says. */
    private static int defaultSeconds(String value) {
        assertTrue(value != null, "setting missing");
        return Integer.parseInt(find(value, "^\\$\\{[A-Z_]+:(\\d+)s\\}$"));
    }
}
