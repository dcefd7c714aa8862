package dev.atrium.invitation;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.atrium.common.paging.Paging;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.security.Callers;
import dev.atrium.common.web.ETags;
import dev.atrium.common.web.Lists;
import dev.atrium.common.web.ProblemCodes;
import dev.atrium.common.web.Replies;
import dev.atrium.idempotency.Idempotency;
import dev.atrium.invitation.dto.AcceptRequest;
import dev.atrium.invitation.dto.CreatedInvitationView;
import dev.atrium.invitation.dto.InvitationView;
import dev.atrium.invitation.dto.InviteRequest;
import dev.atrium.member.dto.MemberView;
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
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

/**
 * Invitations. The flat paths ({@code /v1/workspaces/invitations/...}) sit beside {@code /v1/workspaces/{id}/...};
 * their literal {@code invitations} segment wins over the template, which a test pins down.
 */
@Path("/v1")
@Authenticated
@Tag(name = "Invitations")
@Produces(MediaType.APPLICATION_JSON)
public class InvitationResource {

    private final InvitationService invitations;
    private final Callers callers;
    private final Replies replies;

    public InvitationResource(InvitationService invitations, Callers callers, Replies replies) {
        this.replies = replies;
        this.invitations = invitations;
        this.callers = callers;
    }

    @POST
    @Path("/workspaces/{workspace_id}/members/invite")
    @Consumes(MediaType.APPLICATION_JSON)
    @ProblemCodes({ "already_member", "limit_exceeded", "rate_limited", "workspace_archived", "workspace_frozen",
            "invalid_state_transition", "conflict" })
    @Operation(operationId = "inviteMember", summary = "Invite someone by email; the token is shown only in this answer")
    @APIResponse(responseCode = "201", description = "Invited; `Location` and the `RateLimit-*` headers",
            content = @Content(schema = @Schema(implementation = CreatedInvitationView.class)),
            headers = { @Header(name = "Location", description = "The invitation"),
                    @Header(name = "RateLimit-Limit", description = "Invitations the workspace may send an hour"),
                    @Header(name = "RateLimit-Remaining", description = "Invitations left this hour"),
                    @Header(name = "RateLimit-Reset", description = "Seconds until the hourly budget starts over") })
    @APIResponse(responseCode = "429", description = "The workspace's hourly invitation budget is spent; `Retry-After`")
    public Uni<Response> invite(@PathParam("workspace_id") String workspaceId, InviteRequest body,
            @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        return invitations.invite(callers.current(), workspaceId, body, idempotencyKey,
                invited -> replies.of(201, invited.invitation()).secret("token")
                        .header("Location", "/v1/workspaces/" + workspaceId + "/invitations/"
                                + invited.invitation().id())
                        .header("RateLimit-Limit", String.valueOf(invited.limit()))
                        .header("RateLimit-Remaining", String.valueOf(invited.remaining()))
                        .header("RateLimit-Reset", String.valueOf(invited.resetSeconds())))
                .map(outcome -> outcome.reply().toResponse());
    }

    @GET
    @Path("/workspaces/{workspace_id}/invitations")
    @Operation(operationId = "listInvitations", summary = "The workspace's invitations, newest first")
    @APIResponse(responseCode = "200", description = "A page of invitations; `Link` names the next page",
            content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = InvitationView.class)))
    public Uni<Response> list(@PathParam("workspace_id") String workspaceId,
            @Parameter(description = "pending, accepted, revoked, expired or declined") @QueryParam("status") String status,
            @QueryParam("limit") String limit, @QueryParam("cursor") String cursor, @Context UriInfo uri) {
        if (status != null && InvitationStatus.parse(status).isEmpty()) {
            throw ApiException.validation("status", "one of pending, accepted, revoked, expired, declined");
        }
        return invitations.list(callers.current(), workspaceId,
                new InvitationService.ListQuery(status, Paging.limit(limit, 100), cursor))
                .map(p -> Lists.respond(p.items(), p.nextCursor(), uri));
    }

    @GET
    @Path("/workspaces/{workspace_id}/invitations/{invitation_id}")
    @Operation(operationId = "getInvitation", summary = "Read one invitation")
    @APIResponse(responseCode = "200", description = "The invitation, with `ETag`",
            content = @Content(schema = @Schema(implementation = InvitationView.class)))
    @APIResponse(responseCode = "304", description = "`If-None-Match` matched")
    public Uni<Response> get(@PathParam("workspace_id") String workspaceId,
            @PathParam("invitation_id") String invitationId, @HeaderParam("If-None-Match") String ifNoneMatch) {
        return invitations.get(callers.current(), workspaceId, invitationId).map(found -> {
            if (ETags.matchesAny(ifNoneMatch, found.etag())) {
                return Response.notModified().header("ETag", found.etag()).build();
            }
            return Response.ok(found.view()).header("ETag", found.etag()).build();
        });
    }

    @POST
    @Path("/workspaces/{workspace_id}/invitations/{invitation_id}/resend")
    @ProblemCodes({ "conflict", "rate_limited", "workspace_archived", "workspace_frozen", "invalid_state_transition" })
    @Operation(operationId = "resendInvitation", summary = "Send a new token with a renewed expiry; the old token dies")
    @APIResponse(responseCode = "200", description = "Resent; the new token is shown only in this answer",
            content = @Content(schema = @Schema(implementation = CreatedInvitationView.class)))
    public Uni<Response> resend(@PathParam("workspace_id") String workspaceId,
            @PathParam("invitation_id") String invitationId, @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        return invitations.resend(callers.current(), workspaceId, invitationId, idempotencyKey,
                resent -> replies.of(200, resent).secret("token")).map(outcome -> outcome.reply().toResponse());
    }

    @GET
    @Path("/workspaces/invitations/pending")
    @Operation(operationId = "listMyPendingInvitations", summary = "Open invitations for the caller's verified email")
    @APIResponse(responseCode = "200", description = "A page of invitations; `Link` names the next page",
            content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = InvitationView.class)))
    public Uni<Response> pending(@QueryParam("limit") String limit, @QueryParam("cursor") String cursor,
            @Context UriInfo uri) {
        return invitations.pending(callers.current(), Paging.limit(limit, 100), cursor)
                .map(p -> Lists.respond(p.items(), p.nextCursor(), uri));
    }

    @POST
    @Path("/workspaces/invitations/accept")
    @Consumes(MediaType.APPLICATION_JSON)
    @ProblemCodes({ "not_found", "wrong_region", "limit_exceeded", "workspace_archived", "workspace_frozen",
            "already_member", "invalid_state_transition", "conflict" })
    @Operation(operationId = "acceptInvitation", summary = "Accept an invitation, the token in the body")
    @APIResponse(responseCode = "200", description = "The membership the invitation became",
            content = @Content(schema = @Schema(implementation = MemberView.class)))
    public Uni<Response> acceptByBody(AcceptRequest body, @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        if (body == null || body.token() == null || body.token().isBlank()) {
            throw ApiException.validation("token", "required");
        }
        return accept(body.token(), idempotencyKey);
    }

    @POST
    @Path("/workspaces/invitations/{token}/accept")
    @ProblemCodes({ "wrong_region", "limit_exceeded", "workspace_archived", "workspace_frozen", "already_member",
            "invalid_state_transition", "conflict" })
    @Operation(operationId = "acceptInvitationByToken", summary = "Accept an invitation, the token in the path")
    @APIResponse(responseCode = "200", description = "The membership the invitation became",
            content = @Content(schema = @Schema(implementation = MemberView.class)))
    public Uni<Response> accept(@PathParam("token") String token,
            @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        return invitations.accept(callers.current(), token, idempotencyKey, member -> replies.of(200, member))
                .map(outcome -> outcome.reply().toResponse());
    }

    @POST
    @Path("/workspaces/invitations/{token}/decline")
    @ProblemCodes({ "conflict" })
    @Operation(operationId = "declineInvitation", summary = "Decline an invitation")
    @APIResponse(responseCode = "200", description = "The declined invitation",
            content = @Content(schema = @Schema(implementation = InvitationView.class)))
    public Uni<Response> decline(@PathParam("token") String token,
            @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        return invitations.decline(callers.current(), token, idempotencyKey,
                declined -> replies.of(200, declined)).map(outcome -> outcome.reply().toResponse());
    }

    @DELETE
    @Path("/workspaces/invitations/{invitation_id}")
    @Operation(operationId = "revokeInvitation", summary = "Revoke a pending invitation")
    @APIResponse(responseCode = "204", description = "Revoked (also when it already was, unless `If-Match` names "
            + "the invitation as it was before)")
    @ProblemCodes({ "conflict", "precondition_failed" })
    public Uni<Response> revoke(@PathParam("invitation_id") String invitationId,
            @HeaderParam("If-Match") String ifMatch) {
        return invitations.revoke(callers.current(), invitationId, ifMatch).map(v -> Response.noContent().build());
    }
}
