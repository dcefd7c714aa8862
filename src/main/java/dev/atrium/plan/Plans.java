package dev.atrium.plan;

import java.util.Set;
import java.util.TreeSet;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.atrium.common.problem.ApiException;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The plans a workspace may be on, and what each allows: all from configuration ({@code atrium.plans.<plan>.*}), the
 * plan of a new workspace too ({@code atrium.workspaces.default-plan}). A stored plan that configuration no longer
 * names allows what the default plan allows, but never API access.
 */
@ApplicationScoped
public class Plans {

    private final PlansConfig config;
    private final String defaultPlan;

    public Plans(PlansConfig config,
            @ConfigProperty(name = "atrium.workspaces.default-plan", defaultValue = "free") String defaultPlan) {
        this.config = config;
        if (!config.plans().containsKey(defaultPlan)) {
            throw new IllegalStateException("atrium.workspaces.default-plan names no configured plan: " + defaultPlan
                    + " (configured: " + names() + ")");
        }
        this.defaultPlan = defaultPlan;
    }

    /** Every configured plan's name, sorted. */
    public Set<String> names() {
        return new TreeSet<>(config.plans().keySet());
    }

    public boolean exists(String name) {
        return name != null && config.plans().containsKey(name);
    }

    /** The plan a new workspace starts on. */
    public String defaultPlan() {
        return defaultPlan;
    }

    /** Members plus pending invitations a workspace on {@code plan} may hold. */
    public int maxMembers(String plan) {
        return plan(plan).maxMembers();
    }

    public int maxApiKeys(String plan) {
        return plan(plan).maxApiKeys();
    }

    public int auditRetentionDays(String plan) {
        return plan(plan).auditRetentionDays();
    }

    /** Whether API keys may be created, updated, rotated and used on {@code plan}. */
    public boolean apiAccess(String plan) {
        return exists(plan) && plan(plan).apiAccess();
    }

    /** 403 {@code plan_feature_unavailable} unless {@code plan} includes API access. */
    public void requireApiAccess(String plan) {
        if (!apiAccess(plan)) {
            throw new ApiException(403, "plan_feature_unavailable",
                    "The workspace's plan '" + plan + "' does not include API access.");
        }
    }

    private PlansConfig.Plan plan(String name) {
        PlansConfig.Plan plan = config.plans().get(name);
        return plan != null ? plan : config.plans().get(defaultPlan);
    }
}
