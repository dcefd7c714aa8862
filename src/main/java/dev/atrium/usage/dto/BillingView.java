package dev.atrium.usage.dto;

/** The workspace's billing mode and plan, its seats, and what the plan entitles it to. */
public record BillingView(String object, String workspaceId, String billingMode, String plan, Integer pooledSeatLimit,
        SeatsView seats, boolean apiAccess, int maxApiKeys, int maxMembers, int auditRetentionDays) {
}
