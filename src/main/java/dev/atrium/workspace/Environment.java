package dev.atrium.workspace;

import java.time.Instant;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

@Entity
@Table(name = "environments")
public class Environment extends PanacheEntityBase {
    @Id
    public String id;
    @Column(name = "workspace_id", nullable = false)
    public String workspaceId;
    @Column(nullable = false)
    public String name;
    @Column(nullable = false)
    public String status;
    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
}
