package dev.atrium.plan;

import java.util.Map;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;

/** Plans are configuration, not code: {@code atrium.plans.<plan>.*}. */
@ConfigMapping(prefix = "atrium.plans")
public interface PlansConfig {

    @WithParentName
    Map<String, Plan> plans();

    interface Plan {
        /** Members plus pending invitations a workspace on this plan may hold. */
        @WithDefault("5")
        int maxMembers();

        /** Whether API keys may be created, updated, rotated and used. */
        @WithDefault("false")
        boolean apiAccess();

        @WithDefault("0")
        int maxApiKeys();

        /** How long audit events are kept (and readable) for a workspace on this plan. */
        @WithDefault("30")
        int auditRetentionDays();
    }
}
