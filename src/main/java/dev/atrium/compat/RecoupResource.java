package dev.atrium.compat;

import java.time.Duration;
import java.time.Instant;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.atrium.common.problem.ApiException;
import dev.atrium.common.problem.Problem;
import dev.atrium.common.security.Callers;
import dev.atrium.common.web.Replies;
import dev.atrium.compat.dto.RecoupCreateWorkspace;
import dev.atrium.compat.dto.RecoupCreated;
import dev.atrium.compat.dto.RecoupError;
import dev.atrium.idempotency.Idempotency;
import dev.atrium.provisioning.ProvisioningService;
import dev.atrium.workspace.WorkspaceService;
import dev.atrium.workspace.dto.CreateWorkspaceRequest;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Recoup's {@code POST /api/workspaces}, so a client written for it works against Atrium with only its base URL and
 * token changed: the Atrium create (same authorization, rules and events) in that API's shapes. Its account is
 * Atrium's organization: without {@code account_id} (or {@code organization_id}) the workspace goes to the caller's
 * personal organization; an organization the caller cannot create workspaces in is 403, as that API says, whether
 * it exists or not. It answers 201 once the workspace is active, or after {@link #CREATE_WAIT} with it as it stands.
 */
@Path(RecoupResource.PATH)
@Authenticated
@Tag(name = RecoupResource.TAG, description = "Recoup's workspace create under its own path and shapes. It acts as "
        + "createWorkspace does; refusals are `{error, message}`.")
@Produces(MediaType.APPLICATION_JSON)
public class RecoupResource {

    static final String PATH = "/api/workspaces";
    static final String TAG = "Recoup API";
    static final Duration CREATE_WAIT = Duration.ofSeconds(10);

    private final WorkspaceService workspaces;
    private final ProvisioningService provisioning;
    private final Callers callers;
    private final Replies replies;

    public RecoupResource(WorkspaceService workspaces, ProvisioningService provisioning, Callers callers,
            Replies replies) {
        this.workspaces = workspaces;
        this.provisioning = provisioning;
        this.callers = callers;
        this.replies = replies;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(operationId = "recoupCreateWorkspace", summary = "Create Workspace (Recoup)",
            description = "As createWorkspace: in the caller's personal organization, or in the one named (its "
                    + "admins and owners). Answered once the workspace is active, or after 10 seconds. "
                    + "`Idempotency-Key` is honoured.")
    @APIResponse(responseCode = "201", description = "Workspace created",
            content = @Content(schema = @Schema(implementation = RecoupCreated.class)))
    @APIResponse(responseCode = "307", description = "The organization lives in another region; `Location` names "
            + "it there", content = @Content(schema = @Schema(implementation = RecoupError.class)))
    @APIResponse(responseCode = "400", description = "Bad request - validation error",
            content = @Content(schema = @Schema(implementation = RecoupError.class)))
    @APIResponse(responseCode = "401", description = "Unauthorized - invalid or missing authentication",
            content = @Content(schema = @Schema(implementation = RecoupError.class)))
    @APIResponse(responseCode = "403", description = "Forbidden - access denied to organization (also for API "
            + "keys, and when the caller's workspace limit is reached)",
            content = @Content(schema = @Schema(implementation = RecoupError.class)))
    @APIResponse(responseCode = "406", description = "Only `application/json` is produced",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The same `Idempotency-Key` is still in flight",
            content = @Content(schema = @Schema(implementation = RecoupError.class)))
    @APIResponse(responseCode = "413", description = "The body is larger than 64 KiB",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "415", description = "Send the body as `application/json`",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "The `Idempotency-Key` was used with another body",
            content = @Content(schema = @Schema(implementation = RecoupError.class)))
    @APIResponse(responseCode = "503", description = "Busy, or the organization's home cell is unreachable; retry "
            + "after `Retry-After`", content = {
                    @Content(mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = RecoupError.class)),
                    @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)) })
    public Uni<Response> create(RecoupCreateWorkspace body, @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        RecoupCreateWorkspace req = body == null ? new RecoupCreateWorkspace(null, null, null) : body;
        CreateWorkspaceRequest request = new CreateWorkspaceRequest(req.organizationId(), req.accountId(), req.name(),
                null, null, null, null, null, null, null, null, null);
        return workspaces.create(callers.current(), request, null, idempotencyKey, true,
                created -> replies.of(201, CompatMapper.recoup(created.view())))
                .onFailure(ApiException.class).transform(RecoupResource::organizationRefused)
                .flatMap(outcome -> outcome.replayed() || outcome.result().provisioned()
                        ? Uni.createFrom().item(outcome.reply().toResponse())
                        : provisioning.awaitFinished(outcome.result().runId(), Instant.now().plus(CREATE_WAIT))
                                .chain(() -> workspaces.current(outcome.result().view().id()))
                                .map(found -> Response.status(201).entity(CompatMapper.recoup(found.view())).build()));
    }

    /** The only thing this call names is an organization: one out of reach is refused, not hidden. */
    private static Throwable organizationRefused(Throwable failure) {
        return failure instanceof ApiException e && e.status() == 404
                ? ApiException.forbidden("You cannot create workspaces in this organization.")
                : failure;
    }
}
