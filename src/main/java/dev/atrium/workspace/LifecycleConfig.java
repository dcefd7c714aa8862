package dev.atrium.workspace;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** How long deleted workspaces stay restorable, and how often the lifecycle jobs run in-process. */
@ConfigMapping(prefix = "atrium.lifecycle")
public interface LifecycleConfig {

    /** A deleted workspace is restorable, and its slug held, until this long after deletion. */
    @WithDefault("30d")
    Duration retention();

    /** Events of a purged workspace younger than this are kept for audit; older ones go with it. */
    @WithDefault("400d")
    Duration auditRetention();

    @WithDefault("10m")
    String purgeEvery();

    @WithDefault("1m")
    String invitationExpiryEvery();
}
