package dev.atrium.audit;

import java.time.Instant;

import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.annotations.Mutability;
import org.hibernate.type.SqlTypes;
import org.hibernate.type.descriptor.java.Immutability;

import com.fasterxml.jackson.databind.JsonNode;

import dev.atrium.common.security.Actor;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** One row of the append-only event log (immutable: Hibernate never dirty-checks or updates it). The {@code txid} column is filled by PostgreSQL and read only by SQL. */
@Entity
@Immutable
@Table(name = "events")
public class Event extends PanacheEntityBase {
    @Id
    public String id;
    @Column(nullable = false)
    public String type;
    @Column(name = "occurred_at", nullable = false)
    public Instant occurredAt;
    @Mutability(Immutability.class) // a record: replaced, never changed in place
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false)
    public Actor actor;
    @Column(name = "actor_id", nullable = false)
    public String actorId;
    @Column(name = "organization_id")
    public String organizationId;
    @Column(name = "workspace_id")
    public String workspaceId;
    @Column(name = "resource_type", nullable = false)
    public String resourceType;
    @Column(name = "resource_id", nullable = false)
    public String resourceId;
    @Mutability(Immutability.class) // built once by the event log and never changed: no copy to compare against
    @JdbcTypeCode(SqlTypes.JSON)
    public JsonNode before;
    @Mutability(Immutability.class)
    @JdbcTypeCode(SqlTypes.JSON)
    public JsonNode after;
    @Column(name = "request_id")
    public String requestId;
}
