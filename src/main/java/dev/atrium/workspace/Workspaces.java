package dev.atrium.workspace;

import dev.atrium.access.WorkspaceDirectory;
import dev.atrium.access.WorkspaceRef;
import dev.atrium.organization.Organization;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Hands {@link dev.atrium.access.Access} the workspace entity (in the caller's session) for its decisions. */
@ApplicationScoped
public class Workspaces implements WorkspaceDirectory {

    @Override
    public Uni<WorkspaceRef> workspace(String id) {
        return Workspace.<Workspace>findById(id).map(ws -> ws);
    }

    @Override
    public Uni<String> etag(WorkspaceRef workspace) {
        Workspace ws = Workspace.of(workspace);
        return Organization.<Organization>findById(ws.organizationId).map(org -> WorkspaceService.etag(ws, org));
    }
}
