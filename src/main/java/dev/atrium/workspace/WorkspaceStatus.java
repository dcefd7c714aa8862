package dev.atrium.workspace;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.atrium.common.problem.ApiException;

/**
 * The workspace status machine, in one place. Every status change goes through {@link #transition}; anything not in
 * the table is 409 {@code invalid_state_transition} naming the current status.
 */
public enum WorkspaceStatus {
    PROVISIONING, ACTIVE, FAILED, FROZEN, ARCHIVED, DELETING, DELETED;

    private static final Map<WorkspaceStatus, Set<WorkspaceStatus>> NEXT = Map.of(
            PROVISIONING, EnumSet.of(ACTIVE, FAILED),
            ACTIVE, EnumSet.of(FROZEN, ARCHIVED, DELETING),
            FROZEN, EnumSet.of(ACTIVE, DELETING),
            ARCHIVED, EnumSet.of(ACTIVE, DELETING),
            // A failed run retried by an administrator provisions again.
            FAILED, EnumSet.of(PROVISIONING, DELETING),
            DELETING, EnumSet.of(DELETED),
            // Restore returns to the status held before deletion; purge removes the row.
            DELETED, EnumSet.of(ACTIVE, FROZEN, ARCHIVED, FAILED));

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean is(String wire) {
        return wire().equals(wire);
    }

    public static WorkspaceStatus of(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }

    public static Optional<WorkspaceStatus> parse(String wire) {
        for (WorkspaceStatus s : values()) {
            if (s.wire().equals(wire)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    public boolean canMoveTo(WorkspaceStatus target) {
        return NEXT.getOrDefault(this, Set.of()).contains(target);
    }

    /** Moves {@code workspace} to {@code target} or refuses with 409. */
    public static void transition(Workspace workspace, WorkspaceStatus target) {
        WorkspaceStatus current = of(workspace.status);
        if (!current.canMoveTo(target)) {
            throw ApiException.invalidTransition(current.wire(), target.wire());
        }
        workspace.status = target.wire();
    }

    /** Changes allowed while frozen or archived (members leaving, keys revoked) still need a live workspace. */
    public static void requireNotDeleted(String status, String frozenReason) {
        WorkspaceStatus current = of(status);
        if (current == DELETING || current == DELETED) {
            requireWritable(status, frozenReason);
        }
    }

    /**
     * Guards ordinary writes (PATCH, and later invites and keys): archived is 409, frozen is 423, a workspace being
     * deleted or deleted is 409 naming its status.
     */
    public static void requireWritable(Workspace workspace) {
        requireWritable(workspace.status, workspace.frozenReason);
    }

    public static void requireWritable(String status, String frozenReason) {
        switch (of(status)) {
            case ARCHIVED -> throw ApiException.conflict("workspace_archived",
                    "The workspace is archived; unarchive it first.");
            case FROZEN -> throw new ApiException(423, "workspace_frozen",
                    "The workspace is frozen" + (frozenReason == null ? "." : ": " + frozenReason));
            case DELETING, DELETED -> throw new ApiException(409, "invalid_state_transition",
                    "The workspace is " + status + "; restore it first.")
                    .extension("current_status", status);
            default -> {
            }
        }
    }
}
