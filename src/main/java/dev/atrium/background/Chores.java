package dev.atrium.background;

import java.util.function.Supplier;

import dev.atrium.apikey.ApiKeyUsage;
import dev.atrium.idempotency.IdempotencyJanitor;
import dev.atrium.invitation.InvitationExpiry;
import dev.atrium.provisioning.ProvisioningService;
import dev.atrium.usage.UsageCounter;
import dev.atrium.workspace.WorkspaceLifecycle;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * One round of the work a serving instance otherwise does on timers: due provisioning runs (new, retrying, or
 * abandoned by a dead instance whose lease ran out), the purge of deleted workspaces past retention, the expiry of
 * invitations, the purge of expired idempotency keys, and the flush of the counts this process holds in memory.
 *
 * <p>A cell scaled to zero runs no timers, so {@code chores} mode ({@link dev.atrium.Main}) runs this once from a
 * CronJob and exits. Every chore claims its rows ({@code FOR UPDATE SKIP LOCKED}, and leases for provisioning runs),
 * so a round is safe beside serving instances and beside another round: each piece of work is done once. A chore is
 * repeated while it still finds work, at most {@link #MAX_PASSES} times, so a backlog larger than one batch is
 * cleared in one round without letting a round run for ever.
 */
@ApplicationScoped
public class Chores {

    static final int MAX_PASSES = 10;

    private final ProvisioningService provisioning;
    private final WorkspaceLifecycle lifecycle;
    private final InvitationExpiry invitations;
    private final IdempotencyJanitor idempotency;
    private final UsageCounter usage;
    private final ApiKeyUsage keyUsage;

    public Chores(ProvisioningService provisioning, WorkspaceLifecycle lifecycle, InvitationExpiry invitations,
            IdempotencyJanitor idempotency, UsageCounter usage, ApiKeyUsage keyUsage) {
        this.provisioning = provisioning;
        this.lifecycle = lifecycle;
        this.invitations = invitations;
        this.idempotency = idempotency;
        this.usage = usage;
        this.keyUsage = keyUsage;
    }

    /** What one round did. */
    public record Round(int provisioningRunsTaken, int workspacesPurged, int invitationsExpired,
            int idempotencyKeysPurged) {

        @Override
        public String toString() {
            return "provisioning_runs_taken=" + provisioningRunsTaken + " workspaces_purged=" + workspacesPurged
                    + " invitations_expired=" + invitationsExpired + " idempotency_keys_purged="
                    + idempotencyKeysPurged;
        }
    }

    /** Runs every chore, one after the other; fails with the first chore that fails. */
    public Uni<Round> runOnce() {
        return untilDone(provisioning::runDue)
                .flatMap(runs -> untilDone(lifecycle::purgeDue)
                        .flatMap(purged -> untilDone(invitations::expireDue)
                                .flatMap(expired -> usage.flush()
                                        .chain(keyUsage::flush)
                                        .chain(() -> untilDone(idempotency::purgeExpired))
                                        .map(keys -> new Round(runs, purged, expired, keys)))));
    }

    private static Uni<Integer> untilDone(Supplier<Uni<Integer>> chore) {
        return pass(chore, 0, 1);
    }

    private static Uni<Integer> pass(Supplier<Uni<Integer>> chore, int total, int pass) {
        return chore.get().flatMap(done -> done == 0 || pass == MAX_PASSES
                ? Uni.createFrom().item(total + done)
                : pass(chore, total + done, pass + 1));
    }
}
