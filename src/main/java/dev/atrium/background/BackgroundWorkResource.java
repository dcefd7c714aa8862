package dev.atrium.background;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.atrium.apikey.ApiKeyUsage;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.security.Callers;
import dev.atrium.common.security.Principal;
import dev.atrium.idempotency.IdempotencyJanitor;
import dev.atrium.invitation.InvitationExpiry;
import dev.atrium.provisioning.ProvisioningService;
import dev.atrium.usage.UsageCounter;
import dev.atrium.workspace.WorkspaceLifecycle;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * The work a cell otherwise does on timers, on demand. A cell scaled to zero runs no timers, so a scheduler outside
 * it (the chart's CronJob or PingSource) calls this to run due provisioning runs (new, retrying, or abandoned by a
 * dead instance whose lease ran out), purge deleted workspaces past retention, expire invitations, flush counters and
 * purge expired idempotency keys. Only an allow-listed service with {@code atrium:admin} may call it.
 */
@Path("/internal/v1/background-work")
@Authenticated
@Tag(name = "Operations")
@Produces(MediaType.APPLICATION_JSON)
public class BackgroundWorkResource {

    private final Callers callers;
    private final ProvisioningService provisioning;
    private final UsageCounter usage;
    private final ApiKeyUsage keyUsage;
    private final IdempotencyJanitor idempotency;
    private final WorkspaceLifecycle lifecycle;
    private final InvitationExpiry invitations;

    public BackgroundWorkResource(Callers callers, ProvisioningService provisioning, UsageCounter usage,
            ApiKeyUsage keyUsage, IdempotencyJanitor idempotency, WorkspaceLifecycle lifecycle,
            InvitationExpiry invitations) {
        this.lifecycle = lifecycle;
        this.invitations = invitations;
        this.callers = callers;
        this.provisioning = provisioning;
        this.usage = usage;
        this.keyUsage = keyUsage;
        this.idempotency = idempotency;
    }

    @Schema(name = "BackgroundWork")
    public record Done(@Schema(enumeration = "background_work") String object, int provisioningRunsTaken,
            int workspacesPurged, int invitationsExpired, int idempotencyKeysPurged) {
    }

    @POST
    @Operation(operationId = "runBackgroundWork", summary = "Run due background work now (for external schedulers)")
    public Uni<Done> run() {
        Principal p = callers.current().principal();
        if (!p.isService() || !p.scopes().contains(Principal.SCOPE_ADMIN)) {
            throw ApiException.forbidden("Background work is run by a service with the atrium:admin scope.");
        }
        return provisioning.runDue()
                .flatMap(runs -> lifecycle.purgeDue()
                        .flatMap(purgedWorkspaces -> invitations.expireDue()
                                .flatMap(expired -> usage.flush()
                                        .chain(() -> keyUsage.flush())
                                        .chain(() -> idempotency.purgeExpired())
                                        .map(purged -> new Done("background_work", runs, purgedWorkspaces, expired,
                                                purged)))));
    }
}
