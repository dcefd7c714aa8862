package dev.atrium.organization;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import com.fasterxml.jackson.databind.JsonNode;

import dev.atrium.common.paging.Paging;
import dev.atrium.common.security.Callers;
import dev.atrium.common.web.ETags;
import dev.atrium.common.web.Lists;
import dev.atrium.common.web.ProblemCodes;
import dev.atrium.common.web.Replies;
import dev.atrium.idempotency.Idempotency;
import dev.atrium.organization.dto.CreateOrganizationRequest;
import dev.atrium.organization.dto.OrganizationMemberView;
import dev.atrium.organization.dto.OrganizationView;
import dev.atrium.organization.dto.PutOrganizationMemberRequest;
import dev.atrium.organization.dto.UpdateOrganizationRequest;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

@Path("/v1")
@Authenticated
@Tag(name = "Organizations")
@Produces(MediaType.APPLICATION_JSON)
public class OrganizationResource {

    private final OrganizationService organizations;
    private final Callers callers;
    private final ETags etags;
    private final Replies replies;

    public OrganizationResource(OrganizationService organizations, Callers callers, ETags etags, Replies replies) {
        this.replies = replies;
        this.organizations = organizations;
        this.callers = callers;
        this.etags = etags;
    }

    @POST
    @Path("/organizations")
    @Consumes(MediaType.APPLICATION_JSON)
    @ProblemCodes({ "conflict" })
    @Operation(operationId = "createOrganization", summary = "Create an organization; the caller becomes its owner")
    @APIResponse(responseCode = "201", description = "Created",
            content = @Content(schema = @Schema(implementation = OrganizationView.class)))
    public Uni<Response> create(CreateOrganizationRequest body,
            @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        return organizations.create(callers.current(), body, idempotencyKey,
                created -> replies.of(201, created).header("Location", "/v1/organizations/" + created.id()))
                .map(outcome -> outcome.reply().toResponse());
    }

    @GET
    @Path("/organizations")
    @Operation(operationId = "listOrganizations", summary = "Organizations the caller belongs to")
    @APIResponse(responseCode = "200", description = "A page of organizations; `Link` names the next page",
            content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = OrganizationView.class)))
    public Uni<Response> list(@QueryParam("limit") String limit, @QueryParam("cursor") String cursor,
            @Context UriInfo uri) {
        return organizations.listMine(callers.current(), Paging.limit(limit, 100), cursor)
                .map(p -> Lists.respond(p.items(), p.nextCursor(), uri));
    }

    @GET
    @Path("/organizations/{org_id}")
    @Operation(operationId = "getOrganization", summary = "Read an organization")
    @APIResponse(responseCode = "200", description = "The organization, with `ETag`",
            content = @Content(schema = @Schema(implementation = OrganizationView.class)),
            headers = @Header(name = "ETag", description = "The version read", required = true))
    @APIResponse(responseCode = "304", description = "`If-None-Match` matched",
            headers = @Header(name = "ETag", description = "The version read", required = true))
    public Uni<Response> get(@PathParam("org_id") String id, @HeaderParam("If-None-Match") String ifNoneMatch) {
        return organizations.get(callers.current(), id).map(view -> {
            String etag = etags.of(view);
            if (ETags.matchesAny(ifNoneMatch, etag)) {
                return Response.notModified().header("ETag", etag).build();
            }
            return Response.ok(view).header("ETag", etag).build();
        });
    }

    @PATCH
    @Path("/organizations/{org_id}")
    @Consumes({ "application/merge-patch+json", MediaType.APPLICATION_JSON })
    @ProblemCodes({ "conflict" })
    @Operation(operationId = "updateOrganization", summary = "Merge-patch an organization's name or slug")
    @RequestBody(content = @Content(schema = @Schema(implementation = UpdateOrganizationRequest.class)))
    @APIResponse(responseCode = "200", description = "Updated",
            content = @Content(schema = @Schema(implementation = OrganizationView.class)))
    public Uni<Response> patch(@PathParam("org_id") String id, JsonNode patch, @HeaderParam("If-Match") String ifMatch) {
        return organizations.patch(callers.current(), id, patch, ifMatch)
                .map(view -> Response.ok(view).header("ETag", etags.of(view)).build());
    }

    @GET
    @Path("/organizations/{org_id}/members")
    @Operation(operationId = "listOrganizationMembers", summary = "Members of an organization")
    @APIResponse(responseCode = "200", description = "A page of members",
            content = @Content(schema = @Schema(type = SchemaType.ARRAY,
                    implementation = OrganizationMemberView.class)))
    public Uni<Response> members(@PathParam("org_id") String id, @QueryParam("limit") String limit,
            @QueryParam("cursor") String cursor, @Context UriInfo uri) {
        return organizations.listMembers(callers.current(), id, Paging.limit(limit, 100), cursor)
                .map(p -> Lists.respond(p.items(), p.nextCursor(), uri));
    }

    @PUT
    @Path("/organizations/{org_id}/members/{user_id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(operationId = "putOrganizationMember", summary = "Add a member or change a member's role")
    @APIResponse(responseCode = "200", description = "The membership, with its `ETag` (send it as `If-Match` to "
            + "change or remove the membership only as read)",
            content = @Content(schema = @Schema(implementation = OrganizationMemberView.class)),
            headers = @Header(name = "ETag", description = "The version read", required = true))
    @ProblemCodes({ "invalid_role_transition", "precondition_failed" })
    public Uni<Response> putMember(@PathParam("org_id") String id, @PathParam("user_id") String userId,
            PutOrganizationMemberRequest body, @HeaderParam("If-Match") String ifMatch) {
        return organizations.putMember(callers.current(), id, userId, body, ifMatch)
                .map(view -> Response.ok(view).header("ETag", etags.of(view)).build());
    }

    @DELETE
    @Path("/organizations/{org_id}/members/{user_id}")
    @Operation(operationId = "removeOrganizationMember", summary = "Remove a member, or leave")
    @APIResponse(responseCode = "204", description = "Removed")
    @ProblemCodes({ "invalid_role_transition", "precondition_failed" })
    public Uni<Response> removeMember(@PathParam("org_id") String id, @PathParam("user_id") String userId,
            @HeaderParam("If-Match") String ifMatch) {
        return organizations.removeMember(callers.current(), id, userId, ifMatch)
                .replaceWith(Response.noContent().build());
    }
}
