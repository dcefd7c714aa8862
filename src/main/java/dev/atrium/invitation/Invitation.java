package dev.atrium.invitation;

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
@Table(name = "invitations")
public class Invitation extends PanacheEntityBase {
    @Id
    public String id;
    @Column(name = "workspace_id", nullable = false)
    public String workspaceId;
    @Column(nullable = false)
    public String email;
    @Column(nullable = false)
    public String role;
    /** As stored: pending, accepted, revoked, expired or declined. A pending one past expires_at reads as expired. */
    @Column(nullable = false)
    public String status;
    /** SHA-256 of the token, hex; the token itself is never stored. */
    @Column(name = "token_hash", nullable = false)
    public String tokenHash;
    @Column(name = "ttl_seconds", nullable = false)
    public int ttlSeconds;
    @Column(name = "expires_at", nullable = false)
    public Instant expiresAt;
    @Mutability(Immutability.class) // a record: replaced, never changed in place
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "invited_by", nullable = false)
    public Actor invitedBy;
    /** Whoever last sent it (invite or resend): their grant is what the role is checked against on accept. */
    @Column(name = "inviter_id", nullable = false)
    public String inviterId;
    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;
    @Column(name = "responded_at")
    public Instant respondedAt;
    @Column(name = "member_id")
    public String memberId;

    /** The status a client sees: a pending invitation past its expiry is expired. */
    public String effectiveStatus(Instant now) {
        return InvitationStatus.PENDING.is(status) && !expiresAt.isAfter(now) ? InvitationStatus.EXPIRED.wire()
                : status;
    }

    public boolean open(Instant now) {
        return InvitationStatus.PENDING.is(effectiveStatus(now));
    }
}
