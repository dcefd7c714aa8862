package dev.atrium.workspace;

import java.time.Instant;
import java.util.Map;

import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.annotations.Mutability;
import org.hibernate.type.SqlTypes;
import org.hibernate.type.descriptor.java.Immutability;

import dev.atrium.access.Access;
import dev.atrium.access.WorkspaceRef;
import dev.atrium.common.security.Actor;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

@Entity
@Table(name = "workspaces")
public class Workspace extends PanacheEntityBase implements WorkspaceRef {
    @Id
    public String id;
    @Column(name = "organization_id", nullable = false)
    public String organizationId;
    @Column(nullable = false)
    public String name;
    @Column(nullable = false)
    public String slug;
    public String description;
    @Column(nullable = false)
    public String region;
    @Column(name = "tenancy_model", nullable = false)
    public String tenancyModel;
    @Column(nullable = false)
    public String status;
    @Column(name = "status_before_delete")
    public String statusBeforeDelete;
    @Column(name = "failure_reason")
    public String failureReason;
    @Column(name = "archived_at")
    public Instant archivedAt;
    @Column(name = "frozen_reason")
    public String frozenReason;
    @Column(name = "frozen_at")
    public Instant frozenAt;
    /** USER when a workspace admin froze it; SERVICE or PLATFORM_ADMIN when only those may lift it. */
    @Column(name = "frozen_by")
    public String frozenBy;
    @Column(name = "billing_mode", nullable = false)
    public String billingMode;
    @Column(name = "pooled_seat_limit")
    public Integer pooledSeatLimit;
    @Column(nullable = false)
    public String plan;
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false)
    public Map<String, Object> settings;
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false)
    public Map<String, String> metadata;
    @Column(name = "provisioning_run_id")
    public String provisioningRunId;
    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;
    @Mutability(Immutability.class) // a record: replaced, never changed in place
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "created_by", nullable = false)
    public Actor createdBy;
    @Mutability(Immutability.class) // a record: replaced, never changed in place
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "updated_by", nullable = false)
    public Actor updatedBy;
    @Column(name = "deleted_at")
    public Instant deletedAt;
    @Column(name = "purge_at")
    public Instant purgeAt;
    @Version
    public long version;

    /** The entity behind a grant: {@link Access} finds workspaces through {@link Workspaces}, which hands out these. */
    public static Workspace of(WorkspaceRef ref) {
        return (Workspace) ref;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String organizationId() {
        return organizationId;
    }

    @Override
    public String plan() {
        return plan;
    }

    @Override
    public String billingMode() {
        return billingMode;
    }

    @Override
    public Integer pooledSeatLimit() {
        return pooledSeatLimit;
    }

    @Override
    public void requireWritable() {
        WorkspaceStatus.requireWritable(this);
    }

    @Override
    public void requireNotDeleted() {
        WorkspaceStatus.requireNotDeleted(status, frozenReason);
    }
}
