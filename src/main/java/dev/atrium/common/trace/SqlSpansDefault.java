package dev.atrium.common.trace;

import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;

/**
 * SQL spans only where spans go somewhere: {@code quarkus.otel.instrument.vertx-sql-client} defaults to whether an OTLP
 * endpoint is set ({@code atrium.tracing.otlp-endpoint}, {@code ATRIUM_OTLP_ENDPOINT}). Without one, {@link
 * TraceSampling} records no span, yet the client's tracer would still build every statement's span attributes (its
 * text, the peer address) before dropping them: a few per cent of a read's CPU, and a create runs dozens of
 * statements. The HTTP server's instrumentation stays on either way: it reads the caller's trace context, which is
 * logged and passed on. The property set anywhere else (application.properties, the environment) wins: this source
 * sits below them.
 */
public class SqlSpansDefault implements ConfigSourceFactory {

    static final String PROPERTY = "quarkus.otel.instrument.vertx-sql-client";
    static final String ENDPOINT = "atrium.tracing.otlp-endpoint";
    /** Below application.properties (250), the environment (300) and system properties (400). */
    static final int ORDINAL = 200;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue endpoint = context.getValue(ENDPOINT);
        boolean exporting = TraceSampling.endpointSet(endpoint == null ? null : endpoint.getValue());
        return List.of(new PropertiesConfigSource(Map.of(PROPERTY, String.valueOf(exporting)), "atrium-sql-spans-default",
                ORDINAL));
    }
}
