package dev.atrium.member;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.hibernate.reactive.mutiny.Mutiny;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.atrium.access.Access;
import dev.atrium.access.Permission;
import dev.atrium.access.WorkspaceDirectory;
import dev.atrium.access.WorkspaceRef;
import dev.atrium.apikey.ApiKeyService;
import dev.atrium.audit.EventLog;
import dev.atrium.cell.Cells;
import dev.atrium.common.db.Rows;
import dev.atrium.common.db.Shield;
import dev.atrium.common.json.MergePatch;
import dev.atrium.common.paging.Page;
import dev.atrium.common.paging.Paging;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.problem.Violations;
import dev.atrium.common.security.Caller;
import dev.atrium.common.security.Principal;
import dev.atrium.common.security.Role;
import dev.atrium.common.web.ETags;
import dev.atrium.common.web.Reply;
import dev.atrium.common.web.Versioned;
import dev.atrium.idempotency.Idempotency;
import dev.atrium.member.dto.MemberView;
import dev.atrium.member.dto.MyMembershipView;
import dev.atrium.member.dto.OwnershipTransferView;
import dev.atrium.member.dto.TransferOwnershipRequest;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Workspace members: reading them, changing roles, removing or leaving, and transferring ownership. Role changes
 * follow the contract's granting rules: exactly one owner, changed only by transfer; nobody grants a role above their
 * own; only the owner makes or removes an admin.
 */
@ApplicationScoped
public class MemberService {

    static final Set<String> PATCHABLE = Set.of("role");
    static final Set<String> ROLES = Set.of("owner", "admin", "member", "viewer");

    private final Cells cells;
    private final Access access;
    private final EventLog events;
    private final Idempotency idempotency;
    private final ETags etags;
    private final ApiKeyService apiKeys;
    private final Memberships memberships;
    private final MemberQueries queries;
    private final WorkspaceDirectory workspaces;

    public MemberService(Cells cells, Access access, EventLog events, Idempotency idempotency, ETags etags,
            ApiKeyService apiKeys, Memberships memberships, MemberQueries queries, WorkspaceDirectory workspaces) {
        this.queries = queries;
        this.workspaces = workspaces;
        this.apiKeys = apiKeys;
        this.memberships = memberships;
        this.cells = cells;
        this.access = access;
        this.events = events;
        this.idempotency = idempotency;
        this.etags = etags;
    }


    public record ListQuery(String role, int limit, String cursor) {
    }

    // ---------------------------------------------------------------- read

    /** Members newest first ({@code joined_at}, then id, descending), optionally of one role. */
    public Uni<Page<MemberView>> list(Caller caller, String workspaceId, ListQuery query) {
        if (query.role() != null && !ROLES.contains(query.role())) {
            throw ApiException.validation("role", "one of owner, admin, member, viewer");
        }
        String scope = "members:" + workspaceId + ":" + (query.role() == null ? "" : query.role());
        return Panache.withSession(() -> access.workspace(caller, workspaceId, Permission.MEMBERS_READ)
                .flatMap(g -> {
                    List<String> after = query.cursor() == null ? null : Paging.decode(query.cursor(), scope, 2);
                    return queries.page(workspaceId, query.role(), after == null ? null : Paging.instant(after.get(0)),
                            after == null ? null : after.get(1), query.limit());
                })
                .map(rows -> Page.of(rows.stream().map(MemberMapper::view).toList(), query.limit(),
                        last -> Paging.encode(scope, last.joinedAt().toString(), last.id()))));
    }


    public Uni<Versioned<MemberView>> get(Caller caller, String workspaceId, String memberId) {
        return Panache.withSession(() -> access.workspace(caller, workspaceId, Permission.MEMBERS_READ)
                .flatMap(g -> find(workspaceId, memberId))
                .map(m -> found(MemberMapper.view(m))));
    }

    /**
     * The caller's own member record with the permissions its role grants. Services are never members and a
     * platform admin is one only where they joined: anyone without a member record here gets 404. An API key is
     * not a member either, and this is a session operation: 403 {@code api_key_not_allowed} in its own workspace.
     */
    public Uni<MyMembershipView> mine(Caller caller, String workspaceId) {
        cells.requireLocal(workspaceId, "ws", caller.pathAndQuery());
        Principal p = caller.principal();
        if (p.isApiKey() && p.workspaceId().equals(workspaceId)) {
            throw Access.apiKeyNotAllowed();
        }
        if (!p.isUser()) {
            throw ApiException.notFound();
        }
        return Panache.withSession(() -> memberships.of(workspaceId, p.id())
                .map(m -> {
                    if (m == null) {
                        throw ApiException.notFound();
                    }
                    return MemberMapper.mine(m);
                }));
    }

    // ---------------------------------------------------------------- change a role

    /** Merge patch of {@code role}; an empty patch changes nothing. */
    public Uni<Versioned<MemberView>> update(Caller caller, String workspaceId, String memberId, JsonNode rawPatch, String ifMatch) {
        ObjectNode patch = MergePatch.requireObject(rawPatch, PATCHABLE);
        Role requested = null;
        if (patch.has("role")) {
            JsonNode role = patch.get("role");
            requested = role.isTextual() ? Role.parse(role.asText()).orElse(null) : null;
            new Violations().check(requested != null, "role", "required, one of admin, member, viewer").throwIfAny();
        }
        Role wanted = requested;
        Principal p = caller.principal();
        return Shield.of(() -> Panache.withTransaction(() -> access
                .workspace(caller, workspaceId, Permission.MEMBERS_UPDATE_ROLES)
                .flatMap(g -> {
                    g.workspace().requireWritable();
                    return lock(workspaceId, memberId).flatMap(m -> {
                        MemberView before = MemberMapper.view(m);
                        ETags.requireMatch(ifMatch, etags.of(before));
                        if (wanted == null) {
                            return Uni.createFrom().item(found(before));
                        }
                        Role current = Role.parse(m.role).orElseThrow();
                        requireMayChange(p, g.role(), current, wanted);
                        if (wanted == current) {
                            return Uni.createFrom().item(found(before));
                        }
                        m.role = wanted.wire();
                        return Panache.getSession().chain(s -> s.flush()).chain(() -> {
                            MemberView after = MemberMapper.view(m);
                            return events.append("member.updated", caller.actor(), caller.requestId(),
                                    subject(g.workspace(), m.id), before, after).replaceWith(found(after));
                        });
                    });
                })));
    }

    /**
     * The granting rules, in the order a client can act on them: the owner's role moves only by transfer; nobody
     * grants above their own role; {@code owner} is never granted here; admins are made and unmade by the owner.
     * A platform admin is held to the owner rules only.
     */
    static void requireMayChange(Principal p, Role callerRole, Role current, Role wanted) {
        if (current == Role.OWNER) {
            throw ApiException.conflict("invalid_role_transition",
                    "The owner's role changes only by transferring ownership.");
        }
        boolean platformAdmin = p.platformAdmin();
        if (!platformAdmin && !callerRole.atLeast(wanted)) {
            throw ApiException.forbidden("Nobody grants a role above their own.");
        }
        if (wanted == Role.OWNER) {
            throw ApiException.conflict("invalid_role_transition",
                    "The owner role is never granted directly; transfer ownership instead.");
        }
        if (!platformAdmin && callerRole != Role.OWNER && (current == Role.ADMIN || wanted == Role.ADMIN)) {
            throw ApiException.forbidden("Only the owner makes or removes an admin.");
        }
    }

    // ---------------------------------------------------------------- remove or leave

    /**
     * Removes a member ({@code members:remove}), or lets a member leave by naming their own id. Allowed while the
     * workspace is frozen or archived, so access can always be taken away.
     */
    public Uni<Void> remove(Caller caller, String workspaceId, String memberId, String ifMatch) {
        Principal p = caller.principal();
        // Only a user can be leaving; anyone else needs members:remove from the start.
        Permission first = p.isUser() ? Permission.MEMBERS_READ : Permission.MEMBERS_REMOVE;
        return Shield.of(() -> Panache.withTransaction(() -> access
                .workspace(caller, workspaceId, first)
                .flatMap(g -> {
                    // Removing, leaving and transferring stay allowed while frozen or archived (API.md).
                    g.workspace().requireNotDeleted();
                    // A member's user never changes, so whether this is the caller leaving is known before locking.
                    return find(workspaceId, memberId).flatMap(unlocked -> {
                        boolean self = p.isUser() && p.id().equals(unlocked.userId);
                        Uni<Role> callerRole = self ? Uni.createFrom().item(g.role())
                                : access.workspace(caller, workspaceId, Permission.MEMBERS_REMOVE)
                                        .map(Access.WorkspaceGrant::role);
                        return callerRole.flatMap(role -> lock(workspaceId, memberId).flatMap(m -> {
                            MemberView before = MemberMapper.view(m);
                            ETags.requireMatch(ifMatch, etags.of(before));
                            requireMayRemove(p, role, Role.parse(m.role).orElseThrow(), self);
                            return m.delete()
                                    .chain(() -> events.append("member.removed", caller.actor(), caller.requestId(),
                                            subject(g.workspace(), m.id), before, null))
                                    .chain(() -> apiKeys.revokeHeldBy(caller, g.workspace(), m.userId));
                        }));
                    });
                })));
    }

    static void requireMayRemove(Principal p, Role callerRole, Role current, boolean self) {
        if (current == Role.OWNER) {
            throw ApiException.conflict("invalid_role_transition", self
                    ? "The owner cannot leave; transfer ownership first."
                    : "The owner cannot be removed; transfer ownership first.");
        }
        if (!self && !p.platformAdmin() && current == Role.ADMIN && callerRole != Role.OWNER) {
            throw ApiException.forbidden("Only the owner makes or removes an admin.");
        }
    }

    // ---------------------------------------------------------------- transfer ownership

    /** {@code If-Match} names the workspace as it was read ({@code GET /v1/workspaces/{id}}): 412 when it changed. */
    public Uni<Idempotency.Outcome<OwnershipTransferView>> transfer(Caller caller, String workspaceId,
            TransferOwnershipRequest body, String ifMatch, String idempotencyKey,
            Function<OwnershipTransferView, Reply> reply) {
        TransferOwnershipRequest req = body == null ? new TransferOwnershipRequest(null) : body;
        new Violations()
                .check(req.memberId() != null && !req.memberId().isBlank() && req.memberId().length() <= 100,
                        "member_id", "required, the id of a member of this workspace")
                .throwIfAny();
        // A replay needs the caller still to be a member: the transfer itself made the old owner an admin.
        return idempotency.run(caller, idempotencyKey, req,
                () -> access.workspace(caller, workspaceId, Permission.MEMBERS_READ),
                () -> transferNow(caller, workspaceId, req.memberId(), ifMatch), reply);
    }

    /**
     * Makes {@code targetId} the owner and the owner an admin, in the caller's transaction. The owner row is locked
     * first, so concurrent transfers (and any other change to the owner) run one after another; the caller's
     * ownership is checked again under that lock, because the check done on the way in may have been overtaken.
     * The old owner is demoted before the new one is promoted: the one-owner index never sees two.
     *
     * Events: one {@code member.updated} per role change (what services tracking roles follow) and one
     * {@code workspace.ownership_transferred} naming both members (the act itself, for the audit log).
     */
    private Uni<OwnershipTransferView> transferNow(Caller caller, String workspaceId, String targetId,
            String ifMatch) {
        Principal p = caller.principal();
        return access.workspace(caller, workspaceId, Permission.OWNERSHIP_TRANSFER).flatMap(g -> {
            WorkspaceRef ws = g.workspace();
            ws.requireNotDeleted();
            return lockOwner(workspaceId).call(owner -> ifMatch == null ? Uni.createFrom().voidItem()
                    : workspaces.etag(ws).invoke(etag -> ETags.requireMatch(ifMatch, etag))).flatMap(owner -> {
                if (!p.platformAdmin() && !(p.isUser() && p.id().equals(owner.userId))) {
                    throw ApiException.forbidden("Only the owner transfers ownership.");
                }
                if (owner.id.equals(targetId)) {
                    throw ApiException.conflict("invalid_role_transition", "This member already owns the workspace.");
                }
                return lock(workspaceId, targetId).flatMap(target -> {
                    MemberView ownerBefore = MemberMapper.view(owner);
                    MemberView targetBefore = MemberMapper.view(target);
                    owner.role = Role.ADMIN.wire();
                    return Panache.getSession().chain(s -> s.flush())
                            .chain(() -> {
                                target.role = Role.OWNER.wire();
                                return Panache.getSession().chain(s -> s.flush());
                            })
                            .chain(() -> {
                                MemberView ownerAfter = MemberMapper.view(owner);
                                MemberView targetAfter = MemberMapper.view(target);
                                return events.append("member.updated", caller.actor(), caller.requestId(),
                                        subject(ws, owner.id), ownerBefore, ownerAfter)
                                        .chain(() -> events.append("member.updated", caller.actor(),
                                                caller.requestId(), subject(ws, target.id), targetBefore,
                                                targetAfter))
                                        .chain(() -> events.append("workspace.ownership_transferred", caller.actor(),
                                                caller.requestId(),
                                                new EventLog.Subject(ws.organizationId(), ws.id(), "workspace", ws.id()),
                                                Map.of("owner", ownerBefore),
                                                Map.of("owner", targetAfter, "previous_owner", ownerAfter)))
                                        .replaceWith(new OwnershipTransferView("ownership_transfer", ws.id(),
                                                targetAfter, ownerAfter));
                            });
                });
            });
        });
    }

    // ---------------------------------------------------------------- helpers

    private static Uni<WorkspaceMember> find(String workspaceId, String memberId) {
        return WorkspaceMember.<WorkspaceMember>find("workspaceId = ?1 and id = ?2", workspaceId, memberId)
                .firstResult()
                .onItem().ifNull().failWith(ApiException::notFound);
    }

    /**
     * Locks a member row of this workspace and reads it fresh. Deciding on a copy read before the lock could, for
     * example, demote a member that a concurrent transfer has just made the owner, leaving the workspace with none.
     */
    private static Uni<WorkspaceMember> lock(String workspaceId, String memberId) {
        return Panache.getSession().chain(s -> Rows.count(s.createNativeQuery(
                "select id from workspace_members where workspace_id = :ws and id = :id for update")
                .setParameter("ws", workspaceId).setParameter("id", memberId))
                .chain(locked -> locked == 0 ? Uni.createFrom().<WorkspaceMember>failure(ApiException.notFound())
                        : fresh(s, memberId)));
    }

    /**
     * The row as committed now. A copy loaded earlier in this session (the caller's own membership, read by the
     * access check) would be returned as it was then, so it is detached first and read again.
     */
    private static Uni<WorkspaceMember> fresh(Mutiny.Session s, String memberId) {
        return s.find(WorkspaceMember.class, memberId).chain(m -> {
            if (m != null) {
                s.detach(m);
            }
            return s.find(WorkspaceMember.class, memberId);
        });
    }

    /**
     * Locks the owner's row. A row that stops matching while we wait for its lock (a concurrent transfer demoted
     * it) drops out of the result, since PostgreSQL re-checks the condition on the new row version; the query then
     * runs again and finds, and locks, the new owner.
     */
    private static Uni<WorkspaceMember> lockOwner(String workspaceId) {
        return Panache.getSession().chain(s -> {
            Uni<List<String>> select = Uni.createFrom().deferred(() -> s.createNativeQuery(
                    "select id from workspace_members where workspace_id = :ws and role = 'owner' for update",
                    String.class).setParameter("ws", workspaceId).getResultList());
            return select.chain(ids -> ids.isEmpty() ? select : Uni.createFrom().item(ids))
                    .chain(ids -> ids.isEmpty()
                            ? Uni.createFrom().<WorkspaceMember>failure(
                                    ApiException.conflict("conflict", "Ownership changed concurrently; retry."))
                            : fresh(s, ids.get(0)));
        });
    }

    private static EventLog.Subject subject(WorkspaceRef ws, String memberId) {
        return new EventLog.Subject(ws.organizationId(), ws.id(), "member", memberId);
    }

    private Versioned<MemberView> found(MemberView view) {
        return new Versioned<>(view, etags.of(view));
    }
}
