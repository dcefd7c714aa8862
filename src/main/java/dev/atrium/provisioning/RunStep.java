package dev.atrium.provisioning;

import java.time.Duration;

import io.smallrye.mutiny.Uni;

/**
 * One step of a {@link RunKind}. A local step runs inside the step's transaction, which also renews the run's lease
 * and records the outcome, so its effect commits exactly once. An external step calls a system outside the database:
 * it runs outside any transaction with the step's idempotency key, so a call repeated after a crash is recognised.
 */
public interface RunStep {

    String name();

    /** Whether the next attempt calls outside the database (decided per attempt: it may depend on configuration). */
    default boolean external() {
        return false;
    }

    /** The longest an external call may take; the engine refuses to start with a lease shorter than twice this. */
    default Duration timeout() {
        return Duration.ZERO;
    }

    /** Does the step's work for {@code run}; answers {@link StepStatus#SUCCEEDED} or {@link StepStatus#SKIPPED}. */
    Uni<StepStatus> run(ProvisioningRun run, ProvisioningStep step);

    /** Undoes the step's work when its run gives up (local steps: in the compensation's transaction). */
    default Uni<Void> compensate(ProvisioningRun run, ProvisioningStep step) {
        return Uni.createFrom().voidItem();
    }
}
