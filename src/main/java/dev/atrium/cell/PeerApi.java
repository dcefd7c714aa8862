package dev.atrium.cell;

import java.util.Map;

import org.jboss.resteasy.reactive.RestQuery;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * The calls one cell makes to another: only public API endpoints, with the caller's own credentials, so a peer
 * authorizes exactly as it would for the caller directly. Answers are read as raw responses (the default exception
 * mapper is off): {@link PeerClient} decides what each status means here.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public interface PeerApi {

    @GET
    @Path("/me")
    Uni<Response> me(@HeaderParam("Authorization") String authorization,
            @HeaderParam("Request-Id") String requestId);

    @GET
    @Path("/organizations/{id}")
    Uni<Response> organization(@PathParam("id") String id, @HeaderParam("Authorization") String authorization,
            @HeaderParam("Request-Id") String requestId);

    @GET
    @Path("/workspaces")
    Uni<Response> workspaces(@RestQuery Map<String, String> query,
            @HeaderParam("Authorization") String authorization, @HeaderParam("Request-Id") String requestId);
}
