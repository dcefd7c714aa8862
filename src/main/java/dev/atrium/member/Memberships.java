package dev.atrium.member;

import java.time.Instant;

import dev.atrium.access.MembershipDirectory;
import dev.atrium.access.WorkspaceRef;
import dev.atrium.audit.EventLog;
import dev.atrium.cell.Cells;
import dev.atrium.common.db.SessionSql;
import dev.atrium.common.json.DbJsonFormat;
import dev.atrium.common.security.Actor;
import dev.atrium.common.security.Role;
import dev.atrium.member.dto.MemberView;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Membership rows and the one membership query: who is a member of a workspace, with which role, and how a user
 * becomes one (workspace creation makes the owner, invitation acceptance everyone else). Runs in the caller's
 * session; {@link #add} in the caller's transaction.
 */
@ApplicationScoped
public class Memberships implements MembershipDirectory {

    private final Cells cells;
    private final EventLog events;

    public Memberships(Cells cells, EventLog events) {
        this.cells = cells;
        this.events = events;
    }

    /** Who a new member is: their user id, and the email and name their token (or a service) gave. */
    public record Joiner(String userId, String email, String name) {
    }

    /** {@code userId}'s member record in the workspace, {@code null} when they are not a member. */
    public Uni<WorkspaceMember> of(String workspaceId, String userId) {
        return WorkspaceMember.<WorkspaceMember>find("workspaceId = ?1 and userId = ?2", workspaceId, userId)
                .firstResult();
    }

    @Override
    public Uni<Role> workspaceRole(String workspaceId, String userId) {
        return of(workspaceId, userId).map(m -> m == null ? null : Role.parse(m.role).orElse(null));
    }

    /**
     * Makes {@code joiner} a member with {@code role}, recording {@code member.added} by {@code actor}, in the
     * caller's transaction: the session is flushed first (the workspace may be the caller's own, not yet written),
     * then the membership is one statement, with no entity to keep and check for changes until the commit.
     * Answers the new member's view.
     */
    public Uni<MemberView> add(WorkspaceRef ws, Joiner joiner, Role role, Actor invitedBy, Actor actor,
            String requestId, Instant at) {
        WorkspaceMember m = new WorkspaceMember(); // the row's values, never persisted: the insert below writes it
        m.id = cells.newId("mem");
        m.workspaceId = ws.id();
        m.userId = joiner.userId();
        m.email = joiner.email();
        m.name = joiner.name();
        m.role = role.wire();
        m.joinedAt = at;
        m.invitedBy = invitedBy;
        MemberView view = MemberMapper.view(m);
        return Panache.getSession().chain(s -> s.flush().chain(() -> SessionSql.update(s, """
                insert into workspace_members (id, workspace_id, user_id, email, name, role, joined_at, invited_by)
                values ($1, $2, $3, $4, $5, $6, $7, cast(cast($8 as text) as jsonb))""", m.id, m.workspaceId,
                m.userId, m.email, m.name, m.role, SessionSql.at(m.joinedAt), DbJsonFormat.text(m.invitedBy))))
                .chain(() -> events.append("member.added", actor, requestId,
                        new EventLog.Subject(ws.organizationId(), ws.id(), "member", m.id), null, view))
                .replaceWith(view);
    }
}
