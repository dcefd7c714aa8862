package dev.atrium.usage;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.atrium.access.AcceptsApiKeys;
import dev.atrium.common.security.Callers;
import dev.atrium.usage.dto.BillingView;
import dev.atrium.usage.dto.UsageView;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

@Path("/v1")
@Authenticated
@Tag(name = "Usage and billing")
@Produces(MediaType.APPLICATION_JSON)
public class UsageResource {

    private final UsageService usage;
    private final Callers callers;

    public UsageResource(UsageService usage, Callers callers) {
        this.usage = usage;
        this.callers = callers;
    }

    @GET
    @Path("/workspaces/{workspace_id}/usage")
    @AcceptsApiKeys
    @Operation(operationId = "getWorkspaceUsage",
            summary = "Members, pending invitations, seats, API keys and API calls per UTC day")
    @APIResponse(responseCode = "200", description = "The workspace's usage; API calls include those not yet written",
            content = @Content(schema = @Schema(implementation = UsageView.class)))
    public Uni<UsageView> usage(@PathParam("workspace_id") String workspaceId,
            @Parameter(description = "Days of API calls, today included: 1 to 90, default 30")
            @QueryParam("days") String days) {
        return usage.usage(callers.current(), workspaceId, days);
    }

    @GET
    @Path("/workspaces/{workspace_id}/billing")
    @AcceptsApiKeys
    @Operation(operationId = "getWorkspaceBilling", summary = "Billing mode, plan, seats and the plan's entitlements")
    @APIResponse(responseCode = "200", description = "The workspace's billing",
            content = @Content(schema = @Schema(implementation = BillingView.class)))
    public Uni<BillingView> billing(@PathParam("workspace_id") String workspaceId) {
        return usage.billing(callers.current(), workspaceId);
    }
}
