package dev.atrium.workspace;

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
        @WithDefault("5")
        int maxMembers();
    }
}
