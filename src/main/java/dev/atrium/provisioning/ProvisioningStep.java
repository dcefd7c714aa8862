package dev.atrium.provisioning;

import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

@Entity
@Table(name = "provisioning_steps")
@IdClass(ProvisioningStep.Key.class)
public class ProvisioningStep extends PanacheEntityBase {
    @Id
    @Column(name = "run_id")
    public String runId;
    @Id
    public int position;
    @Column(nullable = false)
    public String name;
    @Column(nullable = false)
    public String status;
    @Column(nullable = false)
    public int attempts;
    @Column(name = "started_at")
    public Instant startedAt;
    @Column(name = "finished_at")
    public Instant finishedAt;
    @Column(name = "last_error")
    public String lastError;
    /** Sent to external systems with the step's work, so a step redone after a crash is recognised there. */
    @Column(name = "idempotency_key", nullable = false)
    public String idempotencyKey;

    public static class Key implements Serializable {
        public String runId;
        public int position;

        public Key() {
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Objects.equals(runId, k.runId) && position == k.position;
        }

        @Override
        public int hashCode() {
            return Objects.hash(runId, position);
        }
    }
}
