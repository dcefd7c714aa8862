package dev.atrium.usage.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "Usage")
public record UsageView(@Schema(enumeration = "usage") String object, String workspaceId, long members,
        long pendingInvitations, SeatsView seats, long apiKeys, ApiCallsView apiCalls) {
}
