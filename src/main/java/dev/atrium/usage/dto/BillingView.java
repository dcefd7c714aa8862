package dev.atrium.usage.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The workspace's billing mode and plan, its seats, and what the plan entitles it to. */
@Schema(name = "Billing")
public record BillingView(@Schema(enumeration = "billing") String object, String workspaceId,
        @Schema(enumeration = { "single", "assigned", "pooled" }) String billingMode,
        @Schema(enumeration = { "free", "team", "enterprise" }) String plan,
        @Schema(nullable = true) Integer pooledSeatLimit, SeatsView seats, boolean apiAccess, int maxApiKeys,
        int maxMembers, int auditRetentionDays) {
}
