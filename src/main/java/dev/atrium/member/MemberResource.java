package dev.atrium.member;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import com.fasterxml.jackson.databind.JsonNode;

import dev.atrium.access.AcceptsApiKeys;
import dev.atrium.common.paging.Paging;
import dev.atrium.common.security.Callers;
import dev.atrium.common.web.ETags;
import dev.atrium.common.web.Lists;
import dev.atrium.common.web.ProblemCodes;
import dev.atrium.common.web.Replies;
import dev.atrium.common.web.Versioned;
import dev.atrium.idempotency.Idempotency;
import dev.atrium.member.dto.MemberView;
import dev.atrium.member.dto.MyMembershipView;
import dev.atrium.member.dto.OwnershipTransferView;
import dev.atrium.member.dto.TransferOwnershipRequest;
import dev.atrium.member.dto.UpdateMemberRequest;
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
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

@Path("/v1")
@Authenticated
@Tag(name = "Members")
@Produces(MediaType.APPLICATION_JSON)
public class MemberResource {

    private final MemberService members;
    private final Callers callers;
    private final Replies replies;

    public MemberResource(MemberService members, Callers callers, Replies replies) {
        this.replies = replies;
        this.members = members;
        this.callers = callers;
    }

    @GET
    @Path("/workspaces/{workspace_id}/members")
    @AcceptsApiKeys
    @Operation(operationId = "listMembers", summary = "Members of a workspace, newest first")
    @Parameter(name = "role", description = "Only members with this role", in = ParameterIn.QUERY,
            schema = @Schema(enumeration = { "owner", "admin", "member", "viewer" }))
    @APIResponse(responseCode = "200", description = "A page of members; `Link` names the next page",
            content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = MemberView.class)))
    public Uni<Response> list(@PathParam("workspace_id") String workspaceId, @QueryParam("role") String role,
            @QueryParam("limit") String limit, @QueryParam("cursor") String cursor, @Context UriInfo uri) {
        MemberService.ListQuery query = new MemberService.ListQuery(role, Paging.limit(limit, 100), cursor);
        return members.list(callers.current(), workspaceId, query)
                .map(p -> Lists.respond(p.items(), p.nextCursor(), uri));
    }

    @GET
    @Path("/workspaces/{workspace_id}/members/me")
    @Operation(operationId = "getMyMembership",
            summary = "The caller's member record, role and effective permissions (404 when not a member)")
    @APIResponse(responseCode = "200", description = "The caller's membership",
            content = @Content(schema = @Schema(implementation = MyMembershipView.class)))
    public Uni<MyMembershipView> me(@PathParam("workspace_id") String workspaceId) {
        return members.mine(callers.current(), workspaceId);
    }

    @GET
    @Path("/workspaces/{workspace_id}/members/{member_id}")
    @AcceptsApiKeys
    @Operation(operationId = "getMember", summary = "Read a member")
    @APIResponse(responseCode = "200", description = "The member, with `ETag`",
            content = @Content(schema = @Schema(implementation = MemberView.class)))
    @APIResponse(responseCode = "304", description = "`If-None-Match` matched")
    public Uni<Response> get(@PathParam("workspace_id") String workspaceId, @PathParam("member_id") String memberId,
            @HeaderParam("If-None-Match") String ifNoneMatch) {
        return members.get(callers.current(), workspaceId, memberId).map(found -> {
            if (ETags.matchesAny(ifNoneMatch, found.etag())) {
                return Response.notModified().header("ETag", found.etag()).build();
            }
            return ok(found);
        });
    }

    @PATCH
    @Path("/workspaces/{workspace_id}/members/{member_id}")
    @Consumes({ "application/merge-patch+json", MediaType.APPLICATION_JSON })
    @ProblemCodes({ "invalid_role_transition", "workspace_archived", "workspace_frozen", "invalid_state_transition",
            "conflict" })
    @Operation(operationId = "updateMember", summary = "Change a member's role")
    @RequestBody(content = @Content(schema = @Schema(implementation = UpdateMemberRequest.class)))
    @APIResponse(responseCode = "200", description = "The member, with `ETag`",
            content = @Content(schema = @Schema(implementation = MemberView.class)))
    public Uni<Response> update(@PathParam("workspace_id") String workspaceId,
            @PathParam("member_id") String memberId, JsonNode patch, @HeaderParam("If-Match") String ifMatch) {
        return members.update(callers.current(), workspaceId, memberId, patch, ifMatch).map(MemberResource::ok);
    }

    @DELETE
    @Path("/workspaces/{workspace_id}/members/{member_id}")
    @ProblemCodes({ "invalid_role_transition", "invalid_state_transition", "conflict" })
    @Operation(operationId = "removeMember", summary = "Remove a member, or leave by naming your own member id")
    @APIResponse(responseCode = "204", description = "Removed")
    public Uni<Response> remove(@PathParam("workspace_id") String workspaceId,
            @PathParam("member_id") String memberId, @HeaderParam("If-Match") String ifMatch) {
        return members.remove(callers.current(), workspaceId, memberId, ifMatch)
                .replaceWith(Response.noContent().build());
    }

    @POST
    @Path("/workspaces/{workspace_id}/transfer-ownership")
    @Consumes(MediaType.APPLICATION_JSON)
    @ProblemCodes({ "invalid_role_transition", "invalid_state_transition", "conflict" })
    @Operation(operationId = "transferWorkspaceOwnership",
            summary = "Make another member the owner; the current owner becomes an admin")
    @APIResponse(responseCode = "200", description = "Both members as they are now",
            content = @Content(schema = @Schema(implementation = OwnershipTransferView.class)))
    public Uni<Response> transfer(@PathParam("workspace_id") String workspaceId, TransferOwnershipRequest body,
            @Parameter(description = "The workspace's `ETag`: transfer only if the workspace is as it was read")
            @HeaderParam("If-Match") String ifMatch, @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        return members.transfer(callers.current(), workspaceId, body, ifMatch, idempotencyKey,
                transfer -> replies.of(200, transfer)).map(outcome -> outcome.reply().toResponse());
    }

    private static Response ok(Versioned<MemberView> found) {
        return Response.ok(found.view()).header("ETag", found.etag()).build();
    }
}
