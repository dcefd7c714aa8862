package dev.atrium.provisioning;

import java.time.Instant;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

@Entity
@Table(name = "provisioning_runs")
public class ProvisioningRun extends PanacheEntityBase {
    @Id
    public String id;
    @Column(name = "workspace_id", nullable = false)
    public String workspaceId;
    @Column(nullable = false)
    public String kind;
    @Column(nullable = false)
    public String status;
    public String error;
    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
    @Column(name = "started_at")
    public Instant startedAt;
    @Column(name = "finished_at")
    public Instant finishedAt;
    /** The instance holding the run, and until when; an expired lease is taken over by any instance. */
    @Column(name = "lease_owner")
    public String leaseOwner;
    @Column(name = "lease_until")
    public Instant leaseUntil;
    /** When the run is due: now for a new run, later after a failed attempt (backoff with jitter). */
    @Column(name = "next_attempt_at", nullable = false)
    public Instant nextAttemptAt;
    /** How often an administrator re-ran the run after it failed. */
    @Column(nullable = false)
    public int retries;
    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;
    /** The W3C traceparent of the request that created or retried the run; its steps' spans join that trace. */
    public String traceparent;

    public boolean finished() {
        return RunStatus.finished(status);
    }
}
