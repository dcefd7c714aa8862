package dev.atrium.organization;

import java.time.Instant;

import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.annotations.Mutability;
import org.hibernate.type.SqlTypes;
import org.hibernate.type.descriptor.java.Immutability;

import dev.atrium.access.OrganizationRef;
import dev.atrium.common.security.Actor;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

@Entity
@Table(name = "organizations")
public class Organization extends PanacheEntityBase implements OrganizationRef {
    @Id
    public String id;
    @Column(nullable = false)
    public String name;
    @Column(nullable = false)
    public String slug;
    @Column(nullable = false)
    public boolean personal;
    @Column(name = "personal_owner")
    public String personalOwner;
    @Column(name = "home_region", nullable = false)
    public String homeRegion;
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
    @Version
    public long version;

    /** The entity behind a grant: {@link dev.atrium.access.Access} finds organizations through {@link Organizations}. */
    public static Organization of(OrganizationRef ref) {
        return (Organization) ref;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String name() {
        return name;
    }
}
