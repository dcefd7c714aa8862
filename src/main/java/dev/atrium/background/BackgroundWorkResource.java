package dev.atrium.background;

import java.time.Duration;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.atrium.apikey.ApiKeyUsage;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.security.Callers;
import dev.atrium.common.security.Principal;
import dev.atrium.idempotency.IdempotencyJanitor;
import dev.atrium.provisioning.ProvisioningService;
import dev.atrium.usage.UsageCounter;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * The work a cell otherwise does on timers, on demand. A cell scaled to zero runs no timers, so a scheduler outside
 * it (the chart's CronJob or PingSource) calls this to retry due provisioning runs, flush counters and purge expired
 * idempotency keys. Only an allow-listed service with {@code atrium:admin} may call it.
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

    public BackgroundWorkResource(Callers callers, ProvisioningService provisioning, UsageCounter usage,
            ApiKeyUsage keyUsage, IdempotencyJanitor idempotency) {
        this.callers = callers;
        this.provisioning = provisioning;
        this.usage = usage;
        this.keyUsage = keyUsage;
        this.idempotency = idempotency;
    }

    @Schema(name = "BackgroundWork")
    public record Done(@Schema(enumeration = "background_work") String object, int provisioningRunsTaken,
            int idempotencyKeysPurged) {
    }

    @POST
    @Operation(operationId = "runBackgroundWork", summary = "Run due background work now (for external schedulers)")
    public Uni<Done> run() {
        Principal p = callers.current().principal();
        if (!p.isService() || !p.scopes().contains(Principal.SCOPE_ADMIN)) {
            throw ApiException.forbidden("Background work is run by a service with the atrium:admin scope.");
        }
        return provisioning.runDue(Duration.ZERO)
                .flatMap(runs -> usage.flush()
                        .chain(() -> keyUsage.flush())
                        .chain(() -> idempotency.purgeExpired())
                        .map(purged -> new Done("background_work", runs, purged)));
    }
}
