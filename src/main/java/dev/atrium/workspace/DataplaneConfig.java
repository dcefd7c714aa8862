package dev.atrium.workspace;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The dataplane API the workspace runs' dataplane step calls. */
@ConfigMapping(prefix = "atrium.provisioning.dataplane")
public interface DataplaneConfig {

    /** Base URL of the dataplane API; when absent the dataplane step is recorded as skipped. */
    Optional<String> url();

    @WithDefault("5s")
    Duration timeout();

    /** Connections to the dataplane per instance; calls beyond it wait for one (within the timeout). */
    @WithDefault("32")
    int maxConnections();
}
