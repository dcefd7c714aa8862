package dev.atrium.access;

import io.smallrye.mutiny.Uni;

/** Finds workspaces for {@link Access}; implemented by the workspace domain. Runs inside the caller's session. */
public interface WorkspaceDirectory {

    /** The workspace, or {@code null} when this cell has none of that id. */
    Uni<WorkspaceRef> workspace(String id);

    /**
     * The workspace's {@code ETag} as {@code GET /v1/workspaces/{id}} gives it, for {@code If-Match} on actions under
     * the workspace's path that change what hangs from it (an ownership transfer).
     */
    Uni<String> etag(WorkspaceRef workspace);
}
