package dev.atrium.apikey;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.atrium.apikey.dto.ApiKeySecretView;
import dev.atrium.apikey.dto.ApiKeyView;
import dev.atrium.apikey.dto.CreateApiKeyRequest;
import dev.atrium.apikey.dto.RotateApiKeyRequest;
import dev.atrium.apikey.dto.UpdateApiKeyRequest;
import dev.atrium.common.paging.Paging;
import dev.atrium.common.security.Callers;
import dev.atrium.common.web.ETags;
import dev.atrium.common.web.Lists;
import dev.atrium.common.web.ProblemCodes;
import dev.atrium.common.web.Replies;
import dev.atrium.idempotency.Idempotency;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
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

@Path("/v1/workspaces/{workspace_id}/api-keys")
@Authenticated
@Tag(name = "API keys")
@Produces(MediaType.APPLICATION_JSON)
public class ApiKeyResource {

    private final ApiKeyService keys;
    private final Callers callers;
    private final Replies replies;

    public ApiKeyResource(ApiKeyService keys, Callers callers, Replies replies) {
        this.replies = replies;
        this.keys = keys;
        this.callers = callers;
    }

    @GET
    @Operation(operationId = "listApiKeys", summary = "The workspace's API keys, revoked ones included, newest first")
    @APIResponse(responseCode = "200", description = "A page of keys; `Link` names the next page",
            content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = ApiKeyView.class)))
    public Uni<Response> list(@PathParam("workspace_id") String workspaceId, @QueryParam("limit") String limit,
            @QueryParam("cursor") String cursor, @Context UriInfo uri) {
        return keys.list(callers.current(), workspaceId, Paging.limit(limit, 100), cursor)
                .map(p -> Lists.respond(p.items(), p.nextCursor(), uri));
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @ProblemCodes({ "plan_feature_unavailable", "limit_exceeded", "workspace_archived", "workspace_frozen",
            "invalid_state_transition" })
    @Operation(operationId = "createApiKey", summary = "Create an API key; its secret is shown once",
            description = "The secret is `atr_` followed by 58 base62 characters (the key id with its home cell code,"
                    + " 131 random bits and a CRC-32 checksum) and matches the published pattern `"
                    + ApiKeyFormat.REGEX + "`. Send it as `Authorization: Bearer <secret>` on"
                    + " `/v1/workspaces/{workspace_id}/**` only.")
    @APIResponse(responseCode = "201", description = "Created; `secret` is never shown again",
            content = @Content(schema = @Schema(implementation = ApiKeySecretView.class)),
            headers = @Header(name = "Location",
                    description = "The key: `/v1/workspaces/{workspace_id}/api-keys/{id}`"))
    public Uni<Response> create(@PathParam("workspace_id") String workspaceId, CreateApiKeyRequest body,
            @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        return keys.create(callers.current(), workspaceId, body, idempotencyKey,
                created -> replies.of(201, created).secret("secret")
                        .header("Location", "/v1/workspaces/" + workspaceId + "/api-keys/" + created.id()))
                .map(outcome -> outcome.reply().toResponse());
    }

    @GET
    @Path("/{key_id}")
    @Operation(operationId = "getApiKey", summary = "Read an API key (never its secret)")
    @APIResponse(responseCode = "200", description = "The key, with `ETag`",
            content = @Content(schema = @Schema(implementation = ApiKeyView.class)))
    @APIResponse(responseCode = "304", description = "`If-None-Match` matched")
    public Uni<Response> get(@PathParam("workspace_id") String workspaceId, @PathParam("key_id") String keyId,
            @HeaderParam("If-None-Match") String ifNoneMatch) {
        return keys.get(callers.current(), workspaceId, keyId).map(found -> {
            if (ETags.matchesAny(ifNoneMatch, found.etag())) {
                return Response.notModified().header("ETag", found.etag()).build();
            }
            return Response.ok(found.view()).header("ETag", found.etag()).build();
        });
    }

    @PUT
    @Path("/{key_id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @ProblemCodes({ "plan_feature_unavailable", "workspace_archived", "workspace_frozen", "invalid_state_transition",
            "conflict" })
    @Operation(operationId = "updateApiKey", summary = "Replace an API key's name, scopes and expiry")
    @APIResponse(responseCode = "200", description = "Updated",
            content = @Content(schema = @Schema(implementation = ApiKeyView.class)))
    public Uni<Response> update(@PathParam("workspace_id") String workspaceId, @PathParam("key_id") String keyId,
            UpdateApiKeyRequest body, @HeaderParam("If-Match") String ifMatch) {
        return keys.update(callers.current(), workspaceId, keyId, body, ifMatch)
                .map(found -> Response.ok(found.view()).header("ETag", found.etag()).build());
    }

    @DELETE
    @Path("/{key_id}")
    @ProblemCodes({ "invalid_state_transition", "conflict" })
    @Operation(operationId = "revokeApiKey", summary = "Revoke an API key at once (the record stays for the audit trail)")
    @APIResponse(responseCode = "204", description = "Revoked (also when it already was)")
    public Uni<Response> revoke(@PathParam("workspace_id") String workspaceId, @PathParam("key_id") String keyId,
            @HeaderParam("If-Match") String ifMatch) {
        return keys.revoke(callers.current(), workspaceId, keyId, ifMatch).map(v -> Response.noContent().build());
    }

    @POST
    @Path("/{key_id}/rotate")
    @Consumes(MediaType.APPLICATION_JSON)
    @ProblemCodes({ "plan_feature_unavailable", "workspace_archived", "workspace_frozen", "invalid_state_transition",
            "conflict" })
    @Operation(operationId = "rotateApiKey", summary = "Give an API key a new secret",
            description = "The old secret keeps working for `grace_seconds` (default 0, at most 7 days).")
    @RequestBody(required = false, content = @Content(schema = @Schema(implementation = RotateApiKeyRequest.class)))
    @APIResponse(responseCode = "200", description = "Rotated; the new `secret` is shown once",
            content = @Content(schema = @Schema(implementation = ApiKeySecretView.class)))
    public Uni<Response> rotate(@PathParam("workspace_id") String workspaceId, @PathParam("key_id") String keyId,
            RotateApiKeyRequest body, @HeaderParam("If-Match") String ifMatch,
            @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        return keys.rotate(callers.current(), workspaceId, keyId, body, ifMatch, idempotencyKey,
                rotated -> replies.of(200, rotated).secret("secret"))
                .map(outcome -> outcome.reply().toResponse());
    }
}
