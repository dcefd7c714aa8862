package dev.atrium.usage.dto;

public record UsageView(String object, String workspaceId, long members, long pendingInvitations, SeatsView seats,
        long apiKeys, ApiCallsView apiCalls) {
}
