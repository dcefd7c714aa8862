package dev.atrium.access;

/**
 * A workspace as authorization and the operations on its members, keys, invitations and usage see it. The workspace
 * domain provides it ({@link WorkspaceDirectory}); its status rules stay there.
 */
public interface WorkspaceRef {

    String id();

    String organizationId();

    String plan();

    String billingMode();

    Integer pooledSeatLimit();

    /** Ordinary writes: 409 {@code workspace_archived}, 423 {@code workspace_frozen}, 409 while deleting or deleted. */
    void requireWritable();

    /** Changes allowed even while frozen or archived (members leaving, keys revoked): 409 once deleting or deleted. */
    void requireNotDeleted();
}
