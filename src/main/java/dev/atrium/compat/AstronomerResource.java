package dev.atrium.compat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.atrium.common.problem.ApiException;
import dev.atrium.common.problem.Problem;
import dev.atrium.common.problem.Violations;
import dev.atrium.common.security.Caller;
import dev.atrium.common.security.Callers;
import dev.atrium.common.web.Replies;
import dev.atrium.common.web.Versioned;
import dev.atrium.compat.dto.AstronomerCreateWorkspace;
import dev.atrium.compat.dto.AstronomerError;
import dev.atrium.compat.dto.AstronomerUpdateWorkspace;
import dev.atrium.compat.dto.AstronomerWorkspace;
import dev.atrium.compat.dto.AstronomerWorkspaces;
import dev.atrium.idempotency.Idempotency;
import dev.atrium.provisioning.ProvisioningService;
import dev.atrium.workspace.WorkspaceLifecycle;
import dev.atrium.workspace.WorkspaceService;
import dev.atrium.workspace.WorkspaceStatus;
import dev.atrium.workspace.dto.CreateWorkspaceRequest;
import dev.atrium.workspace.dto.WorkspaceSettings;
import dev.atrium.workspace.dto.WorkspaceView;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

/**
 * The workspace operations of the Astronomer platform API (v1beta1), so a client written for it works against Atrium
 * with only its base URL ({@code .../platform/v1beta1}) and token changed. Each operation is the Atrium one with the
 * same authorization, rules and events (the workspace services decide everything); this class only translates
 * shapes: camelCase bodies, timestamps to the second, offset paging, and refusals as {@link AstronomerError}
 * ({@link CompatErrors}). A create answers once the workspace is active, as that API does, or after
 * {@link #CREATE_WAIT} with the workspace as it stands.
 */
@Path(AstronomerResource.BASE + "/organizations/{organizationId}/workspaces")
@Authenticated
@Tag(name = AstronomerResource.TAG, description = "The workspace operations of the Astronomer platform API "
        + "(v1beta1) under their own paths and shapes: base URL `/platform/v1beta1`. They act as the Atrium operations "
        + "do; refusals are `{message, requestId, statusCode}`.")
@Produces(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "307", description = "The organization or workspace lives in another region; "
        + "`Location` names it there", content = @Content(schema = @Schema(implementation = AstronomerError.class)))
@APIResponse(responseCode = "400", description = "Invalid request",
        content = @Content(schema = @Schema(implementation = AstronomerError.class)))
@APIResponse(responseCode = "401", description = "Missing or invalid bearer token",
        content = @Content(schema = @Schema(implementation = AstronomerError.class)))
@APIResponse(responseCode = "403", description = "Not permitted (API keys never are)",
        content = @Content(schema = @Schema(implementation = AstronomerError.class)))
@APIResponse(responseCode = "404", description = "No such organization or workspace within the caller's reach",
        content = @Content(schema = @Schema(implementation = AstronomerError.class)))
@APIResponse(responseCode = "406", description = "Only `application/json` is produced",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "409", description = "In conflict with the workspace's state",
        content = @Content(schema = @Schema(implementation = AstronomerError.class)))
@APIResponse(responseCode = "503", description = "The service or the organization's home cell is busy or "
        + "unreachable; retry after `Retry-After`", content = {
                @Content(mediaType = MediaType.APPLICATION_JSON,
                        schema = @Schema(implementation = AstronomerError.class)),
                @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)) })
public class AstronomerResource {

    static final String BASE = "/platform/v1beta1";
    static final String TAG = "Astronomer platform API (v1beta1)";
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 1000;
    /** Offset paging reads past what it skips: the farthest a page may start. */
    static final int MAX_OFFSET = 10_000;
    static final Duration CREATE_WAIT = Duration.ofSeconds(10);
    private static final List<String> LIST_PARAMS = List.of("limit", "offset");

    private final WorkspaceService workspaces;
    private final WorkspaceLifecycle lifecycle;
    private final ProvisioningService provisioning;
    private final Callers callers;
    private final Replies replies;
    private final ObjectMapper json;

    public AstronomerResource(WorkspaceService workspaces, WorkspaceLifecycle lifecycle,
            ProvisioningService provisioning, Callers callers, Replies replies, ObjectMapper json) {
        this.workspaces = workspaces;
        this.lifecycle = lifecycle;
        this.provisioning = provisioning;
        this.callers = callers;
        this.replies = replies;
        this.json = json;
    }

    @GET
    @Operation(operationId = "astronomerListWorkspaces", summary = "List Workspaces (Astronomer v1beta1)",
            description = "The organization's workspaces, newest first, as listOrganizationWorkspaces: for the "
                    + "organization's members and services with `atrium:workspaces:read`.")
    @Parameter(name = "offset", in = ParameterIn.QUERY, description = "How many to skip (default 0)",
            schema = @Schema(type = SchemaType.INTEGER, minimum = "0", maximum = "" + MAX_OFFSET))
    @Parameter(name = "limit", in = ParameterIn.QUERY, description = "At most this many (default 20)",
            schema = @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "" + MAX_LIMIT))
    @APIResponse(responseCode = "200", description = "OK",
            content = @Content(schema = @Schema(implementation = AstronomerWorkspaces.class)))
    public Uni<AstronomerWorkspaces> list(@PathParam("organizationId") String organizationId, @Context UriInfo uri) {
        var params = uri.getQueryParameters();
        Violations v = new Violations();
        params.keySet().forEach(name -> v.check(LIST_PARAMS.contains(name), name,
                "not supported here; this list takes limit and offset"));
        int limit = number(params.getFirst("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT, "limit", v);
        int offset = number(params.getFirst("offset"), 0, 0, MAX_OFFSET, "offset", v);
        v.throwIfAny();
        return workspaces.slice(callers.current(), organizationId, offset, limit)
                .map(slice -> new AstronomerWorkspaces(slice.items().stream().map(CompatMapper::astronomer).toList(),
                        slice.total(), limit, offset));
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(operationId = "astronomerCreateWorkspace", summary = "Create Workspace (Astronomer v1beta1)",
            description = "As createOrganizationWorkspace (organization admins and owners, services with "
                    + "`atrium:workspaces:write`), answered once the workspace is active, or after "
                    + "10 seconds with the workspace as it stands. `Idempotency-Key` is honoured.")
    @APIResponse(responseCode = "200", description = "OK",
            content = @Content(schema = @Schema(implementation = AstronomerWorkspace.class)))
    @APIResponse(responseCode = "413", description = "The body is larger than 64 KiB",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "415", description = "Send the body as `application/json`",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "The `Idempotency-Key` was used with another body",
            content = @Content(schema = @Schema(implementation = AstronomerError.class)))
    public Uni<Response> create(@PathParam("organizationId") String organizationId, AstronomerCreateWorkspace body,
            @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        new Violations().check(body != null && body.name() != null, "name", "required").throwIfAny();
        CreateWorkspaceRequest request = new CreateWorkspaceRequest(null, null, body.name(), body.description(), null,
                null, null, null, null,
                body.cicdEnforcedDefault() == null ? null : new WorkspaceSettings(body.cicdEnforcedDefault()), null,
                null);
        return workspaces.create(callers.current(), request, organizationId, idempotencyKey, true,
                created -> replies.of(200, CompatMapper.astronomer(created.view())))
                .flatMap(outcome -> outcome.replayed() || outcome.result().provisioned()
                        ? Uni.createFrom().item(outcome.reply().toResponse())
                        : provisioning.awaitFinished(outcome.result().runId(), Instant.now().plus(CREATE_WAIT))
                                .chain(() -> workspaces.current(outcome.result().view().id()))
                                .map(found -> Response.ok(CompatMapper.astronomer(found.view())).build()));
    }

    @GET
    @Path("/{workspaceId}")
    @Operation(operationId = "astronomerGetWorkspace", summary = "Get Workspace (Astronomer v1beta1)",
            description = "As getWorkspace; a workspace of another organization, or one being deleted, is 404.")
    @APIResponse(responseCode = "200", description = "OK",
            content = @Content(schema = @Schema(implementation = AstronomerWorkspace.class)))
    public Uni<AstronomerWorkspace> get(@PathParam("organizationId") String organizationId,
            @PathParam("workspaceId") String workspaceId) {
        return found(callers.current(), organizationId, workspaceId)
                .map(found -> CompatMapper.astronomer(found.view()));
    }

    @POST
    @Path("/{workspaceId}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(operationId = "astronomerUpdateWorkspace", summary = "Update Workspace (Astronomer v1beta1)",
            description = "As updateWorkspace, with the fields given: workspace admins and owners, services with "
                    + "`atrium:workspaces:write`.")
    @APIResponse(responseCode = "200", description = "OK",
            content = @Content(schema = @Schema(implementation = AstronomerWorkspace.class)))
    @APIResponse(responseCode = "413", description = "The body is larger than 64 KiB",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "415", description = "Send the body as `application/json`",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "The `Idempotency-Key` was used with another body",
            content = @Content(schema = @Schema(implementation = AstronomerError.class)))
    @APIResponse(responseCode = "423", description = "The workspace is frozen",
            content = @Content(schema = @Schema(implementation = AstronomerError.class)))
    public Uni<AstronomerWorkspace> update(@PathParam("organizationId") String organizationId,
            @PathParam("workspaceId") String workspaceId, AstronomerUpdateWorkspace body) {
        Caller caller = callers.current();
        ObjectNode patch = json.createObjectNode();
        if (body != null) {
            if (body.name() != null) {
                patch.put("name", body.name());
            }
            if (body.description() != null) {
                patch.put("description", body.description());
            }
            if (body.cicdEnforcedDefault() != null) {
                patch.putObject("settings").put("cicd_enforced_default", body.cicdEnforcedDefault());
            }
        }
        return found(caller, organizationId, workspaceId)
                .chain(() -> workspaces.patch(caller, workspaceId, patch, null))
                .map(changed -> CompatMapper.astronomer(changed.view()));
    }

    @DELETE
    @Path("/{workspaceId}")
    @Operation(operationId = "astronomerDeleteWorkspace", summary = "Delete Workspace (Astronomer v1beta1)",
            description = "As deleteWorkspace (the owner only): the workspace is deleted, restorable through "
                    + "`POST /v1/workspaces/{id}/restore` until its purge.")
    @APIResponse(responseCode = "204", description = "Deleted")
    public Uni<Response> delete(@PathParam("organizationId") String organizationId,
            @PathParam("workspaceId") String workspaceId) {
        Caller caller = callers.current();
        return found(caller, organizationId, workspaceId)
                .chain(() -> lifecycle.delete(caller, workspaceId, null))
                .map(changed -> Response.noContent().build());
    }

    /**
     * The workspace as the caller may read it, when it belongs to the organization in the path and is not being
     * deleted (this API has no deleted workspaces to show): 404 otherwise, as for any id outside the caller's reach.
     */
    private Uni<Versioned<WorkspaceView>> found(Caller caller, String organizationId, String workspaceId) {
        return workspaces.get(caller, workspaceId).map(found -> {
            String status = found.view().status();
            if (!found.view().organizationId().equals(organizationId) || WorkspaceStatus.DELETING.is(status)
                    || WorkspaceStatus.DELETED.is(status)) {
                throw ApiException.notFound();
            }
            return found;
        });
    }

    private static int number(String raw, int absent, int min, int max, String name, Violations v) {
        if (raw == null) {
            return absent;
        }
        try {
            int value = Integer.parseInt(raw);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        v.add(name, "an integer from " + min + " to " + max);
        return absent;
    }
}
