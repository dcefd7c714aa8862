package dev.atrium.audit;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.atrium.access.AcceptsApiKeys;
import dev.atrium.audit.dto.EventView;
import dev.atrium.common.paging.Paging;
import dev.atrium.common.security.Callers;
import dev.atrium.common.web.Lists;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

@Path("/v1/workspaces/{workspace_id}/audit")
@Authenticated
@Tag(name = "Audit")
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {

    private final AuditService audit;
    private final Callers callers;

    public AuditResource(AuditService audit, Callers callers) {
        this.audit = audit;
        this.callers = callers;
    }

    @GET
    @AcceptsApiKeys
    @Operation(operationId = "listWorkspaceAudit", summary = "The workspace's events, newest first")
    @APIResponse(responseCode = "200", description = "A page of events; `Link` names the next page",
            content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = EventView.class)))
    public Uni<Response> list(@PathParam("workspace_id") String workspaceId,
            @Parameter(description = "Exact type, or a prefix such as `member.*`") @QueryParam("type") String type,
            @QueryParam("actor_id") String actorId,
            @Parameter(description = "RFC 3339 timestamp") @QueryParam("since") String since,
            @QueryParam("limit") String limit, @QueryParam("cursor") String cursor, @Context UriInfo uri) {
        return audit.audit(callers.current(), workspaceId, type, actorId, since, Paging.limit(limit, 50), cursor)
                .map(p -> Lists.respond(p.items(), p.nextCursor(), uri));
    }
}
