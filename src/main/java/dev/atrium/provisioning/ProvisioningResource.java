package dev.atrium.provisioning;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.atrium.common.security.Callers;
import dev.atrium.common.web.ProblemCodes;
import dev.atrium.common.web.Replies;
import dev.atrium.idempotency.Idempotency;
import dev.atrium.provisioning.dto.ProvisioningRunView;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

@Path("/v1/provisioning-runs")
@Authenticated
@Tag(name = "Provisioning")
@Produces(MediaType.APPLICATION_JSON)
public class ProvisioningResource {

    private final ProvisioningService provisioning;
    private final Callers callers;
    private final Replies replies;

    public ProvisioningResource(ProvisioningService provisioning, Callers callers, Replies replies) {
        this.replies = replies;
        this.provisioning = provisioning;
        this.callers = callers;
    }

    @GET
    @Path("/{run_id}")
    @Operation(operationId = "getProvisioningRun", summary = "A provisioning run with each step's status")
    public Uni<ProvisioningRunView> get(@PathParam("run_id") String runId) {
        return provisioning.get(callers.current(), runId);
    }

    @POST
    @Path("/{run_id}/retry")
    @ProblemCodes({ "invalid_state_transition", "conflict" })
    @Operation(operationId = "retryProvisioningRun", summary = "Re-run a failed provisioning run",
            description = "Owners, admins and services with atrium:admin. The run starts again from its first "
                    + "unfinished step (a compensated create run from the beginning); a failed workspace goes back "
                    + "to provisioning. Only a failed run can be retried (409 otherwise).")
    @APIResponse(responseCode = "202", description = "The run, pending again",
            content = @Content(schema = @Schema(implementation = ProvisioningRunView.class)))
    public Uni<Response> retry(@PathParam("run_id") String runId,
            @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        return provisioning.retry(callers.current(), runId, idempotencyKey,
                run -> replies.of(202, run).header("Location", "/v1/provisioning-runs/" + run.id())
                        .header("Retry-After", "1"))
                .map(outcome -> outcome.reply().toResponse());
    }
}
