package dev.atrium.provisioning;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Tuning of the provisioning saga and of the lifecycle jobs beside it. */
@ConfigMapping(prefix = "atrium.provisioning")
public interface SagaConfig {

    /** Attempts of one step before the run gives up and compensates. */
    @WithDefault("5")
    int maxAttempts();

    /** First retry delay; each further attempt doubles it, up to {@link #backoffMax()}, with jitter. */
    @WithDefault("1s")
    Duration backoffBase();

    @WithDefault("60s")
    Duration backoffMax();

    /**
     * How long a claimed run belongs to one instance without it renewing the claim. It must outlast twice the
     * longest external step's timeout (checked at start), or a slow call would lose the run to another instance.
     */
    @WithDefault("30s")
    Duration lease();

    /** How often each instance's worker looks for due runs (the scheduler reads it too). */
    @WithDefault("2s")
    String workerEvery();

    /** Runs one worker tick claims at most. */
    @WithDefault("20")
    int batch();
}
