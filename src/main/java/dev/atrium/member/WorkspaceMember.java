package dev.atrium.member;

import java.time.Instant;

import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.annotations.Mutability;
import org.hibernate.type.SqlTypes;
import org.hibernate.type.descriptor.java.Immutability;

import dev.atrium.common.security.Actor;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

@Entity
@Table(name = "workspace_members")
public class WorkspaceMember extends PanacheEntityBase {
    @Id
    public String id;
    @Column(name = "workspace_id", nullable = false)
    public String workspaceId;
    @Column(name = "user_id", nullable = false)
    public String userId;
    public String email;
    public String name;
    @Column(nullable = false)
    public String role;
    @Column(name = "joined_at", nullable = false)
    public Instant joinedAt;
    @Mutability(Immutability.class) // a record: replaced, never changed in place
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "invited_by")
    public Actor invitedBy;
}
