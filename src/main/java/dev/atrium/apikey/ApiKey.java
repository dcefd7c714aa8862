package dev.atrium.apikey;

import java.time.Instant;
import java.util.List;

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
import jakarta.persistence.Version;

/**
 * A workspace's API key. {@code lastUsedAt} is written only by {@link ApiKeyUsage}'s batched flush, never by an
 * entity update, so an edit of the key cannot put an older value back.
 */
@Entity
@Table(name = "api_keys")
public class ApiKey extends PanacheEntityBase {
    @Id
    public String id;
    @Column(name = "workspace_id", nullable = false)
    public String workspaceId;
    @Column(nullable = false)
    public String name;
    @Column(nullable = false)
    public String prefix;
    /** Space-separated and sorted (a fixed vocabulary without spaces); see {@link #scopeList()}. */
    @Column(nullable = false)
    public String scopes;
    @Column(name = "secret_hash", nullable = false)
    public byte[] secretHash;
    @Column(name = "previous_secret_hash")
    public byte[] previousSecretHash;
    @Column(name = "previous_expires_at")
    public Instant previousExpiresAt;
    @Column(name = "creator_user_id", nullable = false)
    public String creatorUserId;
    /** The user whose current role bounds the key: its creator, then whoever last rotated it. */
    @Column(name = "holder_user_id")
    public String holderUserId;
    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
    @Mutability(Immutability.class) // a record: replaced, never changed in place
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "created_by", nullable = false)
    public Actor createdBy;
    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;
    @Column(name = "last_used_at", insertable = false, updatable = false)
    public Instant lastUsedAt;
    @Column(name = "expires_at")
    public Instant expiresAt;
    @Column(name = "revoked_at")
    public Instant revokedAt;
    @Version
    public long version;

    public List<String> scopeList() {
        return scopes.isEmpty() ? List.of() : List.of(scopes.split(" "));
    }

    public void scopeList(List<String> sorted) {
        scopes = String.join(" ", sorted);
    }
}
