package dev.atrium.workspace;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import com.fasterxml.jackson.databind.JsonNode;

import dev.atrium.access.AcceptsApiKeys;
import dev.atrium.cell.FanOut;
import dev.atrium.common.paging.Paging;
import dev.atrium.common.problem.Violations;
import dev.atrium.common.security.Caller;
import dev.atrium.common.security.Callers;
import dev.atrium.common.text.Text;
import dev.atrium.common.web.ETags;
import dev.atrium.common.web.Lists;
import dev.atrium.common.web.ProblemCodes;
import dev.atrium.common.web.Replies;
import dev.atrium.common.web.Reply;
import dev.atrium.common.web.Versioned;
import dev.atrium.idempotency.Idempotency;
import dev.atrium.provisioning.ProvisioningService;
import dev.atrium.workspace.dto.CreateWorkspaceRequest;
import dev.atrium.workspace.dto.EnvironmentView;
import dev.atrium.workspace.dto.StatusChangeRequest;
import dev.atrium.workspace.dto.UpdateWorkspaceRequest;
import dev.atrium.workspace.dto.WorkspaceView;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

@Path("/v1")
@Authenticated
@Tag(name = "Workspaces")
@Produces(MediaType.APPLICATION_JSON)
public class WorkspaceResource {

    private static final Pattern WAIT = Pattern.compile("(?:^|[,;\\s])wait\\s*=\\s*(\\d{1,6})");
    private static final List<String> SORTS = List.of("created_at", "-created_at", "name", "-name");
    private static final List<String> LIST_PARAMS = List.of("organization_id", "status", "region", "archived", "q",
            "limit", "cursor", "sort");

    private final WorkspaceService workspaces;
    private final ProvisioningService provisioning;
    private final Callers callers;
    private final WorkspaceLifecycle lifecycle;
    private final Replies replies;

    public WorkspaceResource(WorkspaceService workspaces, ProvisioningService provisioning, Callers callers,
            WorkspaceLifecycle lifecycle, Replies replies) {
        this.workspaces = workspaces;
        this.lifecycle = lifecycle;
        this.provisioning = provisioning;
        this.callers = callers;
        this.replies = replies;
    }

    @POST
    @Path("/workspaces")
    @Consumes(MediaType.APPLICATION_JSON)
    @ProblemCodes({ "conflict", "limit_exceeded", "unknown_region", "cell_unavailable", "wrong_region", "not_found" })
    @Operation(operationId = "createWorkspace", summary = "Create a workspace and start provisioning it")
    @APIResponse(responseCode = "202", description = "Provisioning started; `Location`, `Link: rel=monitor`, `Retry-After`",
            content = @Content(schema = @Schema(implementation = WorkspaceView.class)),
            headers = { @Header(name = "Location", description = "The workspace: `/v1/workspaces/{id}`"),
                    @Header(name = "Link", description = "Its provisioning run: `</v1/provisioning-runs/{run}>; "
                            + "rel=\"monitor\"`"),
                    @Header(name = "Retry-After", description = "Seconds until checking again is useful") })
    @APIResponse(responseCode = "201", description = "With `Prefer: wait=N`: the workspace is active",
            content = @Content(schema = @Schema(implementation = WorkspaceView.class)))
    @APIResponse(responseCode = "307", description = "The requested region is served by another cell")
    @APIResponse(responseCode = "422", description = "Unknown region or reused idempotency key")
    @APIResponse(responseCode = "503", description = "The organization's home cell cannot be reached "
            + "(with `Retry-After`); nothing was created")
    public Uni<Response> create(CreateWorkspaceRequest body,
            @HeaderParam(Idempotency.HEADER) String idempotencyKey,
            @Parameter(description = "`wait=N` (seconds, at most 30) answers 201 once the workspace is active")
            @HeaderParam("Prefer") String prefer) {
        return create(body, null, idempotencyKey, prefer);
    }

    @POST
    @Path("/organizations/{org_id}/workspaces")
    @Consumes(MediaType.APPLICATION_JSON)
    @ProblemCodes({ "conflict", "limit_exceeded", "unknown_region", "cell_unavailable" })
    @Operation(operationId = "createOrganizationWorkspace", summary = "Create a workspace in an organization")
    @APIResponse(responseCode = "202", description = "Provisioning started; `Location`, `Link: rel=monitor`, "
            + "`Retry-After`", content = @Content(schema = @Schema(implementation = WorkspaceView.class)),
            headers = { @Header(name = "Location", description = "The workspace: `/v1/workspaces/{id}`"),
                    @Header(name = "Link", description = "Its provisioning run: `</v1/provisioning-runs/{run}>; "
                            + "rel=\"monitor\"`"),
                    @Header(name = "Retry-After", description = "Seconds until checking again is useful") })
    @APIResponse(responseCode = "201", description = "With `Prefer: wait=N`: the workspace is active",
            content = @Content(schema = @Schema(implementation = WorkspaceView.class)))
    @APIResponse(responseCode = "503", description = "The organization's home cell cannot be reached "
            + "(with `Retry-After`); nothing was created")
    public Uni<Response> createInOrganization(@PathParam("org_id") String organizationId,
            CreateWorkspaceRequest body, @HeaderParam(Idempotency.HEADER) String idempotencyKey,
            @Parameter(description = "`wait=N` (seconds, at most 30) answers 201 once the workspace is active")
            @HeaderParam("Prefer") String prefer) {
        return create(body, organizationId, idempotencyKey, prefer);
    }

    /**
     * 202 with the provisioning workspace, its run as {@code Link rel=monitor} and {@code Retry-After}; with
     * {@code Prefer: wait=N} the answer waits for the run (not on a replay) and is 201 once the workspace is active.
     * A create provisioned in its own transaction answers (and replays) 201 at once. An {@code account_id} in the body
     * is answered with {@code Deprecation}.
     */
    private Uni<Response> create(CreateWorkspaceRequest body, String organizationId, String idempotencyKey,
            String prefer) {
        Integer wait = waitSeconds(prefer);
        return workspaces.create(callers.current(), body, organizationId, idempotencyKey, wait != null,
                created -> created.provisioned() ? waited(new Versioned<>(created.view(), created.etag()), wait)
                        : provisioning(replies.of(202, created.view()), created.view()))
                .flatMap(outcome -> wait == null || outcome.replayed() || outcome.result().provisioned()
                        ? Uni.createFrom().item(outcome.reply().toResponse())
                        : provisioning.awaitFinished(outcome.result().runId(), Instant.now().plusSeconds(wait))
                                .chain(() -> workspaces.current(outcome.result().view().id()))
                                .map(found -> waited(found, wait).toResponse()))
                .map(response -> body != null && body.accountId() != null
                        ? Response.fromResponse(response).header("Deprecation", "true").build()
                        : response);
    }

    private Reply waited(Versioned<WorkspaceView> found, int wait) {
        boolean active = WorkspaceStatus.ACTIVE.wire().equals(found.view().status());
        Reply reply = replies.of(active ? 201 : 202, found.view()).header("ETag", found.etag())
                .header("Preference-Applied", "wait=" + wait);
        return (active ? reply.header("Location", "/v1/workspaces/" + found.view().id())
                : provisioning(reply, found.view()));
    }

    /** Where the workspace is, and where its provisioning run can be watched. */
    private static Reply provisioning(Reply reply, WorkspaceView view) {
        return reply.header("Location", "/v1/workspaces/" + view.id())
                .header("Link", "</v1/provisioning-runs/" + view.provisioningRunId() + ">; rel=\"monitor\"")
                .header("Retry-After", "1");
    }

    static Integer waitSeconds(String prefer) {
        if (prefer == null) {
            return null;
        }
        Matcher m = WAIT.matcher(prefer);
        if (!m.find()) {
            return null;
        }
        return Math.min(Integer.parseInt(m.group(1)), WorkspaceService.MAX_WAIT_SECONDS);
    }

    @GET
    @Path("/workspaces")
    @Operation(operationId = "listWorkspaces", summary = "Workspaces the caller is a member of",
            description = "Besides the parameters below, `metadata.<key>=<value>` (key at most "
                    + WorkspaceLimits.METADATA_KEY_MAX + " characters, value at most "
                    + WorkspaceLimits.METADATA_VALUE_MAX + ") keeps the workspaces whose metadata has that value; "
                    + "any other parameter is 400 `validation_failed`.")
    @Parameter(name = "organization_id", in = ParameterIn.QUERY, schema = @Schema(type = SchemaType.STRING))
    @Parameter(name = "status", in = ParameterIn.QUERY, schema = @Schema(type = SchemaType.STRING,
            enumeration = { "provisioning", "active", "failed", "frozen", "archived", "deleting", "deleted" }),
            description = "Deleted workspaces are listed only with `status=deleted`")
    @Parameter(name = "region", in = ParameterIn.QUERY, schema = @Schema(type = SchemaType.STRING))
    @Parameter(name = "archived", in = ParameterIn.QUERY, schema = @Schema(type = SchemaType.BOOLEAN))
    @Parameter(name = "q", description = "Name prefix", in = ParameterIn.QUERY,
            schema = @Schema(type = SchemaType.STRING, maxLength = Text.NAME_MAX))
    @Parameter(name = "limit", in = ParameterIn.QUERY, schema = @Schema(type = SchemaType.INTEGER))
    @Parameter(name = "cursor", in = ParameterIn.QUERY, schema = @Schema(type = SchemaType.STRING))
    @Parameter(name = "sort", in = ParameterIn.QUERY, schema = @Schema(type = SchemaType.STRING,
            enumeration = { "created_at", "-created_at", "name", "-name" }, defaultValue = "-created_at"))
    @Parameter(name = "regions", in = ParameterIn.QUERY,
            schema = @Schema(type = SchemaType.STRING, enumeration = "all"),
            description = "`all` adds the caller's workspaces in every other region (cell), read from each cell in "
                    + "parallel with the caller's token and merged in `sort` order; nothing is copied between cells. "
                    + "A region that does not answer in time is left out and named in `X-Atrium-Unreachable-Regions`. "
                    + "The `cursor` of such a list is composite (one position per region) and only valid with "
                    + "`regions=all`. API keys belong to one workspace of one cell: for them the list stays local.")
    @APIResponse(responseCode = "200", description = "A page of workspaces; `Link` names the next page",
            headers = @Header(name = FanOut.UNREACHABLE_HEADER, description = "With `regions=all`: the regions "
                    + "that did not answer, comma-separated (absent when every region answered)"),
            content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = WorkspaceView.class)))
    public Uni<Response> list(@Context UriInfo uri) {
        WorkspaceService.ListQuery query = listQuery(uri.getQueryParameters(), null);
        Caller caller = callers.current();
        if ("all".equals(uri.getQueryParameters().getFirst("regions")) && !caller.principal().isApiKey()) {
            return workspaces.listEverywhere(caller, query).map(merged -> {
                Response r = Lists.respond(merged.items(), merged.nextCursor(), uri);
                return merged.unreachable().isEmpty() ? r : Response.fromResponse(r)
                        .header(FanOut.UNREACHABLE_HEADER, String.join(",", merged.unreachable())).build();
            });
        }
        return workspaces.list(caller, query, false)
                .map(p -> Lists.respond(p.items(), p.nextCursor(), uri));
    }

    @GET
    @Path("/organizations/{org_id}/workspaces")
    @Operation(operationId = "listOrganizationWorkspaces", summary = "Every workspace of an organization",
            description = "Filters as on listWorkspaces, `metadata.<key>=<value>` included.")
    @Parameter(name = "status", in = ParameterIn.QUERY, schema = @Schema(type = SchemaType.STRING,
            enumeration = { "provisioning", "active", "failed", "frozen", "archived", "deleting", "deleted" }))
    @Parameter(name = "region", in = ParameterIn.QUERY, schema = @Schema(type = SchemaType.STRING))
    @Parameter(name = "archived", in = ParameterIn.QUERY, schema = @Schema(type = SchemaType.BOOLEAN))
    @Parameter(name = "q", description = "Name prefix", in = ParameterIn.QUERY,
            schema = @Schema(type = SchemaType.STRING, maxLength = Text.NAME_MAX))
    @Parameter(name = "limit", in = ParameterIn.QUERY, schema = @Schema(type = SchemaType.INTEGER))
    @Parameter(name = "cursor", in = ParameterIn.QUERY, schema = @Schema(type = SchemaType.STRING))
    @Parameter(name = "sort", in = ParameterIn.QUERY, schema = @Schema(type = SchemaType.STRING,
            enumeration = { "created_at", "-created_at", "name", "-name" }, defaultValue = "-created_at"))
    @APIResponse(responseCode = "200", description = "A page of workspaces",
            content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = WorkspaceView.class)))
    public Uni<Response> listByOrganization(@PathParam("org_id") String organizationId, @Context UriInfo uri) {
        WorkspaceService.ListQuery query = listQuery(uri.getQueryParameters(), organizationId);
        return workspaces.list(callers.current(), query, true)
                .map(p -> Lists.respond(p.items(), p.nextCursor(), uri));
    }

    @GET
    @Path("/workspaces/by-account/{account_id}")
    @Operation(operationId = "listWorkspacesByAccount", summary = "Deprecated alias of the organization's list",
            deprecated = true)
    @APIResponse(responseCode = "200", description = "A page of workspaces, with `Deprecation`",
            content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = WorkspaceView.class)))
    public Uni<Response> listByAccount(@PathParam("account_id") String accountId, @Context UriInfo uri) {
        return listByOrganization(accountId, uri)
                .map(r -> Response.fromResponse(r).header("Deprecation", "true")
                        .header("Link", "</v1/organizations/" + accountId + "/workspaces>; rel=\"successor-version\"")
                        .build());
    }

    private WorkspaceService.ListQuery listQuery(MultivaluedMap<String, String> params, String pathOrganization) {
        Violations v = new Violations();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (String name : params.keySet()) {
            if (name.startsWith("metadata.") && name.length() > "metadata.".length()) {
                String key = name.substring("metadata.".length());
                String value = params.getFirst(name);
                v.check(key.length() <= WorkspaceLimits.METADATA_KEY_MAX
                        && value.length() <= WorkspaceLimits.METADATA_VALUE_MAX, name, WorkspaceLimits.METADATA_RULE);
                metadata.put(key, value);
            } else if (!LIST_PARAMS.contains(name) && !(pathOrganization == null && name.equals("regions"))) {
                v.add(name, "unknown query parameter");
            }
        }
        String regions = params.getFirst("regions");
        v.check(pathOrganization != null || regions == null || regions.equals("all"), "regions",
                "only 'all': include the caller's workspaces in every region");
        String status = params.getFirst("status");
        v.check(status == null || WorkspaceStatus.parse(status).isPresent(), "status",
                "one of provisioning, active, failed, frozen, archived, deleting, deleted");
        String archived = params.getFirst("archived");
        v.check(archived == null || archived.equals("true") || archived.equals("false"), "archived", "true or false");
        String sort = params.getFirst("sort") == null ? "-created_at" : params.getFirst("sort");
        v.check(SORTS.contains(sort), "sort", "one of " + SORTS);
        String q = params.getFirst("q");
        v.check(q == null || q.length() <= Text.NAME_MAX, "q", "at most " + Text.NAME_MAX + " characters");
        String organizationId = pathOrganization != null ? pathOrganization : params.getFirst("organization_id");
        v.throwIfAny();
        return new WorkspaceService.ListQuery(organizationId, status, archived == null ? null : Boolean.valueOf(archived),
                params.getFirst("region"), q, metadata, sort, Paging.limit(params.getFirst("limit"), 100),
                params.getFirst("cursor"));
    }

    @GET
    @Path("/workspaces/{workspace_id}")
    @AcceptsApiKeys
    @Operation(operationId = "getWorkspace", summary = "Read a workspace")
    @APIResponse(responseCode = "200", description = "The workspace, with `ETag`",
            content = @Content(schema = @Schema(implementation = WorkspaceView.class)))
    @APIResponse(responseCode = "304", description = "`If-None-Match` matched")
    public Uni<Response> get(@PathParam("workspace_id") String id, @HeaderParam("If-None-Match") String ifNoneMatch) {
        return workspaces.get(callers.current(), id).map(found -> {
            if (ETags.matchesAny(ifNoneMatch, found.etag())) {
                return Response.notModified().header("ETag", found.etag()).build();
            }
            return ok(found);
        });
    }

    @PATCH
    @Path("/workspaces/{workspace_id}")
    @Consumes({ "application/merge-patch+json", MediaType.APPLICATION_JSON })
    @AcceptsApiKeys
    @ProblemCodes({ "workspace_archived", "workspace_frozen", "seat_limit_below_usage", "invalid_state_transition",
            "conflict" })
    @Operation(operationId = "updateWorkspace", summary = "Merge-patch a workspace (RFC 7396)")
    @RequestBody(content = @Content(schema = @Schema(implementation = UpdateWorkspaceRequest.class)))
    @APIResponse(responseCode = "200", description = "Updated",
            content = @Content(schema = @Schema(implementation = WorkspaceView.class)))
    public Uni<Response> patch(@PathParam("workspace_id") String id, JsonNode patch,
            @HeaderParam("If-Match") String ifMatch) {
        return workspaces.patch(callers.current(), id, patch, ifMatch).map(WorkspaceResource::ok);
    }

    @POST
    @Path("/workspaces/{workspace_id}/archive")
    @AcceptsApiKeys
    @ProblemCodes({ "invalid_state_transition", "workspace_frozen", "conflict" })
    @Operation(operationId = "archiveWorkspace", summary = "Archive a workspace")
    @APIResponse(responseCode = "200", description = "Archived",
            content = @Content(schema = @Schema(implementation = WorkspaceView.class)))
    public Uni<Response> archive(@PathParam("workspace_id") String id, @HeaderParam("If-Match") String ifMatch,
            @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        return workspaces.archive(callers.current(), id, true, ifMatch, idempotencyKey, this::found)
                .map(outcome -> outcome.reply().toResponse());
    }

    @POST
    @Path("/workspaces/{workspace_id}/unarchive")
    @AcceptsApiKeys
    @ProblemCodes({ "invalid_state_transition", "conflict" })
    @Operation(operationId = "unarchiveWorkspace", summary = "Bring an archived workspace back")
    @APIResponse(responseCode = "200", description = "Active again",
            content = @Content(schema = @Schema(implementation = WorkspaceView.class)))
    public Uni<Response> unarchive(@PathParam("workspace_id") String id, @HeaderParam("If-Match") String ifMatch,
            @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        return workspaces.archive(callers.current(), id, false, ifMatch, idempotencyKey, this::found)
                .map(outcome -> outcome.reply().toResponse());
    }

    private Reply found(Versioned<WorkspaceView> found) {
        return replies.of(200, found.view()).header("ETag", found.etag());
    }

    @DELETE
    @Path("/workspaces/{workspace_id}")
    @ProblemCodes({ "invalid_state_transition", "conflict" })
    @Operation(operationId = "deleteWorkspace", summary = "Delete a workspace (restorable until purge_at)",
            description = "Owner only. Answers 202 with the workspace in status deleting; a deprovisioning run "
                    + "(Link rel=monitor) ends in deleted. The workspace stays restorable, and its slug held, until "
                    + "purge_at. If-Match is honoured.")
    @APIResponse(responseCode = "202", description = "Deleting",
            headers = { @Header(name = "Link", description = "The deprovisioning run, rel=monitor"),
                    @Header(name = "Retry-After", description = "Seconds until checking again is useful") },
            content = @Content(schema = @Schema(implementation = WorkspaceView.class)))
    public Uni<Response> delete(@PathParam("workspace_id") String id, @HeaderParam("If-Match") String ifMatch) {
        return lifecycle.delete(callers.current(), id, ifMatch)
                .map(changed -> replies.of(202, changed.view()).header("ETag", changed.etag())
                        .header("Link", "</v1/provisioning-runs/" + changed.view().provisioningRunId()
                                + ">; rel=\"monitor\"")
                        .header("Retry-After", "1").toResponse());
    }

    @POST
    @Path("/workspaces/{workspace_id}/restore")
    @ProblemCodes({ "invalid_state_transition", "conflict" })
    @Operation(operationId = "restoreWorkspace", summary = "Restore a deleted workspace before its purge_at",
            description = "Owner only. The workspace returns to the status it had before deletion, with its members, "
                    + "API keys and invitations.")
    @APIResponse(responseCode = "200", description = "Restored",
            content = @Content(schema = @Schema(implementation = WorkspaceView.class)))
    public Uni<Response> restore(@PathParam("workspace_id") String id,
            @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        return lifecycle.restore(callers.current(), id, idempotencyKey,
                changed -> replies.of(200, changed.view()).header("ETag", changed.etag()))
                .map(outcome -> outcome.reply().toResponse());
    }

    @PATCH
    @Path("/workspaces/{workspace_id}/status")
    @Consumes({ MediaType.APPLICATION_JSON, "application/merge-patch+json" })
    @ProblemCodes({ "invalid_state_transition", "conflict" })
    @Operation(operationId = "changeWorkspaceStatus", summary = "Freeze or unfreeze a workspace")
    @APIResponse(responseCode = "200", description = "The workspace in its new status",
            content = @Content(schema = @Schema(implementation = WorkspaceView.class)))
    public Uni<Response> status(@PathParam("workspace_id") String id, StatusChangeRequest body,
            @HeaderParam("If-Match") String ifMatch) {
        return workspaces.changeStatus(callers.current(), id, body, ifMatch).map(WorkspaceResource::ok);
    }

    @GET
    @Path("/workspaces/{workspace_id}/environments")
    @AcceptsApiKeys
    @Operation(operationId = "listEnvironments", summary = "The workspace's dev, staging and prod environments")
    @APIResponse(responseCode = "200", description = "Environments",
            content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = EnvironmentView.class)))
    public Uni<List<EnvironmentView>> environments(@PathParam("workspace_id") String id) {
        return workspaces.environments(callers.current(), id);
    }

    private static Response ok(Versioned<WorkspaceView> found) {
        return Response.ok(found.view()).header("ETag", found.etag()).build();
    }

}
