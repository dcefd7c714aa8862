package dev.atrium.provisioning;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.atrium.common.security.Callers;
import dev.atrium.provisioning.dto.ProvisioningRunView;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

@Path("/v1/provisioning-runs")
@Authenticated
@Tag(name = "Provisioning")
@Produces(MediaType.APPLICATION_JSON)
public class ProvisioningResource {

    private final ProvisioningService provisioning;
    private final Callers callers;

    public ProvisioningResource(ProvisioningService provisioning, Callers callers) {
        this.provisioning = provisioning;
        this.callers = callers;
    }

    @GET
    @Path("/{run_id}")
    @Operation(operationId = "getProvisioningRun", summary = "A provisioning run with each step's status")
    public Uni<ProvisioningRunView> get(@PathParam("run_id") String runId) {
        return provisioning.get(callers.current(), runId);
    }
}
