package dev.atrium.common.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.eclipse.microprofile.config.spi.ConfigSource;
import org.junit.jupiter.api.Test;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

class SqlSpansDefaultTest {

    @Test
    void sqlSpansFollowTheEndpoint() {
        assertEquals("true", sqlSpans(Map.of(SqlSpansDefault.ENDPOINT, "http://collector:4317")));
        assertEquals("false", sqlSpans(Map.of(SqlSpansDefault.ENDPOINT, " ")));
        assertEquals("false", sqlSpans(Map.of()));
    }

    @Test
    void aValueSetElsewhereWins() {
        assertEquals("true", sqlSpans(Map.of(SqlSpansDefault.PROPERTY, "true")));
        assertEquals("false",
                sqlSpans(Map.of(SqlSpansDefault.ENDPOINT, "http://collector:4317", SqlSpansDefault.PROPERTY, "false")));
    }

    private static String sqlSpans(Map<String, String> applicationProperties) {
        ConfigSource application = new PropertiesConfigSource(applicationProperties, "application.properties", 250);
        SmallRyeConfig config = new SmallRyeConfigBuilder().withSources(application)
                .withSources(new SqlSpansDefault()).build();
        return config.getRawValue(SqlSpansDefault.PROPERTY);
    }
}
