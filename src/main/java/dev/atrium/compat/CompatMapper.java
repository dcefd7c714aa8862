package dev.atrium.compat;

import dev.atrium.common.security.Actor;
import dev.atrium.compat.dto.AstronomerActor;
import dev.atrium.compat.dto.AstronomerTime;
import dev.atrium.compat.dto.AstronomerWorkspace;
import dev.atrium.compat.dto.RecoupCreated;
import dev.atrium.workspace.dto.WorkspaceView;

/** The one place a workspace view becomes another API's shape. */
final class CompatMapper {

    private CompatMapper() {
    }

    static AstronomerWorkspace astronomer(WorkspaceView w) {
        return new AstronomerWorkspace(w.id(), w.name(), w.description(), w.organizationId(), w.organizationName(),
                w.settings() != null && Boolean.TRUE.equals(w.settings().cicdEnforcedDefault()),
                AstronomerTime.format(w.createdAt()), AstronomerTime.format(w.updatedAt()), actor(w.createdBy()),
                actor(w.updatedBy()));
    }

    /** A person is a {@code USER}; services, API keys and Atrium itself act as keys do in that API. */
    static AstronomerActor actor(Actor a) {
        if (a == null) {
            return null;
        }
        boolean user = "USER".equals(a.subjectType());
        return new AstronomerActor(a.id(), user ? "USER" : "SERVICEKEY", a.name(), user ? a.email() : null, null,
                a.apiKeyName());
    }

    static RecoupCreated recoup(WorkspaceView w) {
        return new RecoupCreated(new RecoupCreated.Workspace(w.id(), w.name(), w.accountId(), true));
    }
}
