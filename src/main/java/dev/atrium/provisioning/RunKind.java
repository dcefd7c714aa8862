package dev.atrium.provisioning;

import java.util.List;

import dev.atrium.common.security.Caller;
import io.smallrye.mutiny.Uni;

/**
 * A kind of provisioning run (its name is stored with each run): its steps in order, and what happens to the subject
 * of the run when it gives up or is retried. Defined by the domain whose resources the run provisions, registered as
 * a bean; the engine knows runs, steps, leases, retries and compensation, nothing about what is provisioned.
 */
public interface RunKind {

    String name();

    List<RunStep> steps();

    /** Whether a run that gives up undoes its completed steps, last first, before it fails. */
    boolean compensates();

    /** In the transaction that fails the run for good (after any compensation). */
    default Uni<Void> gaveUp(ProvisioningRun run) {
        return Uni.createFrom().voidItem();
    }

    /** In the transaction that puts a failed run back to pending for {@code caller}. */
    default Uni<Void> retried(ProvisioningRun run, Caller caller) {
        return Uni.createFrom().voidItem();
    }

    default RunStep step(String name) {
        return steps().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("run kind " + name() + " has no step " + name));
    }
}
