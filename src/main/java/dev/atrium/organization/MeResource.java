package dev.atrium.organization;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.atrium.access.Access;
import dev.atrium.common.security.Caller;
import dev.atrium.common.security.Callers;
import dev.atrium.common.security.Principal;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

@Path("/v1/me")
@Authenticated
@Tag(name = "Principal")
@Produces(MediaType.APPLICATION_JSON)
public class MeResource {

    private final Callers callers;
    private final OrganizationService organizations;
    private final OrganizationQueries queries;

    public MeResource(Callers callers, OrganizationService organizations, OrganizationQueries queries) {
        this.queries = queries;
        this.callers = callers;
        this.organizations = organizations;
    }

    @Schema(name = "Me")
    public record MeView(@Schema(enumeration = "principal") String object,
            @Schema(enumeration = { "user", "service" }) String type, String id, @Schema(nullable = true) String email,
            boolean emailVerified, @Schema(nullable = true) String name, Set<String> scopes, boolean platformAdmin,
            List<Membership> organizations) {
    }

    @Schema(name = "OrganizationMembership")
    public record Membership(String id, String name, @Schema(enumeration = { "owner", "admin", "member" }) String role,
            boolean personal) {
    }

    @GET
    @Operation(operationId = "getMe", summary = "The calling principal and its organizations")
    public Uni<MeView> me() {
        Caller caller = callers.current();
        Principal p = caller.principal();
        if (p.isApiKey()) {
            throw Access.apiKeyNotAllowed(); // a key is never a user, whatever path reached this method
        }
        if (p.isService()) {
            return Uni.createFrom().item(new MeView("principal", "service", p.id(), null, false, p.name(),
                    new TreeSet<>(p.scopes()), false, List.of()));
        }
        // One read; only a user without a personal organization yet (first use) costs a write and a second read.
        return queries.membershipsOf(p.id())
                .flatMap(list -> list.stream().anyMatch(OrganizationQueries.Membership::personal)
                        || !organizations.personalOrganizationsLiveHere() ? Uni.createFrom().item(list)
                                : organizations.ensurePersonal(caller).chain(() -> queries.membershipsOf(p.id())))
                .map(list -> new MeView("principal", "user", p.id(), p.email(), p.emailVerified(), p.name(), Set.of(),
                        p.platformAdmin(), list.stream()
                                .map(m -> new Membership(m.id(), m.name(), m.role(), m.personal())).toList()));
    }
}
