package dev.atrium.organization;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.atrium.access.Access;
import dev.atrium.access.Access.OrgPermission;
import dev.atrium.audit.EventLog;
import dev.atrium.cell.Cells;
import dev.atrium.cell.PeerClient;
import dev.atrium.cell.RemoteOrganization;
import dev.atrium.common.Slugs;
import dev.atrium.common.db.DbErrors;
import dev.atrium.common.db.Locks;
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
import dev.atrium.common.text.Text;
import dev.atrium.common.time.Clock;
import dev.atrium.common.web.ETags;
import dev.atrium.common.web.Reply;
import dev.atrium.idempotency.Idempotency;
import dev.atrium.organization.dto.CreateOrganizationRequest;
import dev.atrium.organization.dto.OrganizationMemberView;
import dev.atrium.organization.dto.OrganizationView;
import dev.atrium.organization.dto.PutOrganizationMemberRequest;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

@ApplicationScoped
public class OrganizationService {

    static final String SLUG_CONSTRAINT = "organizations_slug_key";
    private static final Set<String> PATCHABLE = Set.of("name", "slug");

    private final Cells cells;
    private final Access access;
    private final EventLog events;
    private final Idempotency idempotency;
    private final ObjectMapper json;
    private final ETags etags;
    private final PeerClient peers;

    private final OrganizationQueries queries;

    public OrganizationService(Cells cells, Access access, EventLog events, Idempotency idempotency,
            ObjectMapper json, ETags etags, PeerClient peers, OrganizationQueries queries) {
        this.queries = queries;
        this.etags = etags;
        this.peers = peers;
        this.cells = cells;
        this.access = access;
        this.events = events;
        this.idempotency = idempotency;
        this.json = json;
    }

    /**
     * A user's personal organization, created on first use. The partial unique index on {@code personal_owner}
     * makes concurrent first requests converge on one organization. Personal organizations live on the directory
     * cell only: on any other cell this yields {@code null} and creates nothing (a workspace create there asks the
     * directory instead, see {@code Access.remotePersonalOrganization}).
     */
    public Uni<Organization> ensurePersonal(Caller caller) {
        Principal p = caller.principal();
        return ensurePersonalFor(caller, p.id(), p.email(), p.name());
    }

    /** Whether users' personal organizations live on this cell (the directory cell). */
    public boolean personalOrganizationsLiveHere() {
        return peers.isDirectory();
    }

    /** The constraint that keeps one personal organization per user (two first uses at once: one wins). */
    public static final String PERSONAL_CONSTRAINT = "organizations_personal_owner_key";

    /**
     * {@code userId}'s personal organization, created on first use, in the caller's transaction (so a workspace
     * create that needs it commits once). Two first uses at once: one fails on {@link #PERSONAL_CONSTRAINT}.
     */
    public Uni<Organization> personalInTransaction(Caller caller, String userId, String email, String name) {
        return Organization.<Organization>find("personal = true and personalOwner = ?1", userId).firstResult()
                .flatMap(existing -> existing != null ? Uni.createFrom().item(existing)
                        : insert(caller, "Personal", null, true, new Owner(userId, email, name)));
    }

    /** The personal organization of {@code userId}, for a service that creates a workspace on a user's behalf. */
    public Uni<Organization> ensurePersonalFor(Caller caller, String userId, String email, String name) {
        if (!peers.isDirectory()) {
            return Uni.createFrom().nullItem();
        }
        return Shield.of(() -> Panache.withTransaction(() -> Organization
                .<Organization>find("personal = true and personalOwner = ?1", userId).firstResult()
                .flatMap(existing -> existing != null ? Uni.createFrom().item(existing)
                        : insert(caller, "Personal", null, true, new Owner(userId, email, name)))))
                .onFailure(t -> DbErrors.isUniqueViolation(t, null)).retry().atMost(3);
    }

    record Owner(String userId, String email, String name) {
    }

    public Uni<Idempotency.Outcome<OrganizationView>> create(Caller caller, CreateOrganizationRequest body,
            String idempotencyKey, Function<OrganizationView, Reply> reply) {
        if (!caller.principal().isUser()) {
            throw ApiException.forbidden("Organizations are created by users.");
        }
        CreateOrganizationRequest req = body == null ? new CreateOrganizationRequest(null, null) : body;
        new Violations()
                .check(Text.validName(req.name()), "name", Text.NAME_RULE)
                .check(req.slug() == null || Slugs.valid(req.slug()), "slug",
                        Slugs.RULE)
                .throwIfAny();
        // Any user may create organizations (checked above on every attempt); a replay shows what the caller made.
        return Uni.createFrom().deferred(() -> idempotency.run(caller, idempotencyKey, req, Idempotency::checkedBefore,
                () -> insert(caller, req.name(), req.slug(), false,
                        new Owner(caller.principal().id(), caller.principal().email(), caller.principal().name()))
                        .map(OrganizationMapper::view), reply))
                .onFailure(t -> req.slug() == null && DbErrors.isUniqueViolation(t, SLUG_CONSTRAINT))
                .retry().atMost(5)
                .onFailure(t -> DbErrors.isUniqueViolation(t, SLUG_CONSTRAINT))
                .transform(t -> ApiException.conflict("conflict", "The slug is taken.")
                        .extension("field", "slug"));
    }

    private Uni<Organization> insert(Caller caller, String name, String slug, boolean personal, Owner owner) {
        String base = slug != null ? slug
                : personal ? "personal-" + cells.newId("org").substring(17).toLowerCase()
                        : Slugs.fromName(name, "org");
        Uni<String> chosen = slug != null ? Uni.createFrom().item(slug) : freeSlug(base);
        return chosen.flatMap(s -> {
            Organization org = new Organization();
            org.id = cells.newId("org");
            org.name = name;
            org.slug = s;
            org.personal = personal;
            org.personalOwner = personal ? owner.userId() : null;
            org.homeRegion = cells.region();
            org.createdAt = Clock.now();
            org.updatedAt = org.createdAt;
            org.createdBy = caller.actor();
            org.updatedBy = caller.actor();
            OrganizationMember m = new OrganizationMember();
            m.organizationId = org.id;
            m.userId = owner.userId();
            m.email = owner.email();
            m.name = owner.name();
            m.role = Role.OWNER.wire();
            m.createdAt = org.createdAt;
            m.updatedAt = org.createdAt;
            return org.persist()
                    .chain(() -> m.persist())
                    .chain(() -> Panache.getSession().chain(sess -> sess.flush()))
                    .chain(() -> events.append("organization.created", caller.actor(), caller.requestId(),
                            new EventLog.Subject(org.id, null, "organization", org.id), null,
                            OrganizationMapper.view(org)))
                    .replaceWith(org);
        });
    }

    /**
     * The local row that stands for an organization homed in another cell, so a workspace of this cell can point at
     * it (the foreign key), created or refreshed from what the home cell just said. It only names the organization:
     * no members (roles are always asked of the home cell), no events (nothing changed; the home cell logs its own
     * changes), and it is never served here (requests for the organization are redirected to its home). Its slug is
     * outside this cell's uniqueness rule (V6). Runs inside the caller's transaction.
     */
    public Uni<Organization> reference(Caller caller, RemoteOrganization remote) {
        String actor; // bound as text: a string bound where jsonb is inferred is stored as a JSON string
        try {
            actor = json.writeValueAsString(caller.actor());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return Uni.createFrom().failure(e);
        }
        java.time.Instant now = Clock.now();
        return Panache.getSession().chain(s -> s.createNativeQuery("""
                insert into organizations (id, name, slug, personal, personal_owner, home_region, created_at,
                    updated_at, created_by, updated_by, version, reference)
                values (:id, :name, :slug, :personal, null, :home, :now, :now, cast(cast(:actor as text) as jsonb),
                    cast(cast(:actor as text) as jsonb), 0, true)
                on conflict (id) do update set name = excluded.name, slug = excluded.slug,
                    personal = excluded.personal, updated_at = excluded.updated_at,
                    version = organizations.version + 1
                where organizations.reference and (organizations.name, organizations.slug, organizations.personal)
                    is distinct from (excluded.name, excluded.slug, excluded.personal)
                """).setParameter("id", remote.id()).setParameter("name", remote.name())
                .setParameter("slug", remote.slug()).setParameter("personal", remote.personal())
                .setParameter("home", remote.homeRegion()).setParameter("now", now)
                .setParameter("actor", actor).executeUpdate())
                .chain(() -> Organization.<Organization>findById(remote.id()))
                .map(org -> {
                    if (org == null || cells.region().equals(org.homeRegion)) {
                        throw ApiException.notFound();
                    }
                    return org;
                });
    }

    private Uni<String> freeSlug(String base) {
        return Organization.<Organization>find("slug = ?1 or slug like ?2", base, base + "-%").list()
                .map(rows -> {
                    Set<String> taken = new HashSet<>();
                    rows.forEach(o -> taken.add(o.slug));
                    for (int n = 1;; n++) {
                        String candidate = Slugs.candidate(base, n);
                        if (!taken.contains(candidate)) {
                            return candidate;
                        }
                    }
                });
    }

    public Uni<Page<OrganizationView>> listMine(Caller caller, int limit, String cursor) {
        Principal p = caller.principal();
        Uni<Void> personal = p.isUser() ? ensurePersonal(caller).replaceWithVoid() : Uni.createFrom().voidItem();
        if (p.isService() && !p.hasScope(Principal.SCOPE_WORKSPACES_READ)) {
            return Uni.createFrom().item(new Page<>(List.of(), null));
        }
        // A platform admin and a service with read scope see every organization of this cell; a user their own.
        String member = p.isUser() && !p.platformAdmin() ? p.id() : null;
        List<String> after = cursor == null ? null : Paging.decode(cursor, "orgs", 1);
        return personal.chain(() -> Panache.withSession(() -> queries.page(cells.region(), member,
                after == null ? null : after.get(0), limit)))
                .map(rows -> Page.of(rows.stream().map(OrganizationMapper::view).toList(), limit,
                        v -> Paging.encode("orgs", v.id())));
    }

    @WithSession
    public Uni<OrganizationView> get(Caller caller, String id) {
        return access.organization(caller, id, OrgPermission.READ).map(g -> OrganizationMapper.view(Organization.of(g.organization())));
    }

    public Uni<OrganizationView> patch(Caller caller, String id, JsonNode rawPatch, String ifMatch) {
        ObjectNode patch = MergePatch.requireObject(rawPatch, PATCHABLE);
        return Shield.of(() -> Panache.withTransaction(() -> access
                .organization(caller, id, OrgPermission.UPDATE)
                .call(g -> Locks.forUpdate(g.organization()))
                .flatMap(g -> {
                    Organization org = Organization.of(g.organization());
                    OrganizationView before = OrganizationMapper.view(org);
                    ETags.requireMatch(ifMatch, etags.of(before));
                    JsonNode merged = MergePatch.apply(json.valueToTree(before), patch);
                    String name = merged.path("name").isTextual() ? merged.get("name").asText() : null;
                    String slug = merged.path("slug").isTextual() ? merged.get("slug").asText() : null;
                    new Violations()
                            .check(Text.validName(name), "name", Text.NAME_RULE)
                            .check(Slugs.valid(slug), "slug",
                                    "required; " + Slugs.RULE)
                            .throwIfAny();
                    if (name.equals(org.name) && slug.equals(org.slug)) {
                        return Uni.createFrom().item(before);
                    }
                    org.name = name;
                    org.slug = slug;
                    org.updatedAt = Clock.now();
                    org.updatedBy = caller.actor();
                    return Panache.getSession().chain(s -> s.flush())
                            .chain(() -> {
                                OrganizationView after = OrganizationMapper.view(org);
                                return events.append("organization.updated", caller.actor(), caller.requestId(),
                                        new EventLog.Subject(org.id, null, "organization", org.id), before, after)
                                        .replaceWith(after);
                            });
                })))
                .onFailure(t -> DbErrors.isUniqueViolation(t, SLUG_CONSTRAINT))
                .transform(t -> ApiException.conflict("conflict", "The slug is taken.").extension("field", "slug"));
    }

    @WithSession
    public Uni<Page<OrganizationMemberView>> listMembers(Caller caller, String id, int limit, String cursor) {
        return access.organization(caller, id, OrgPermission.READ).flatMap(g -> {
            List<String> after = cursor == null ? null : Paging.decode(cursor, "org-members:" + id, 1);
            return queries.members(id, after == null ? null : after.get(0), limit)
                    .map(rows -> Page.of(rows.stream().map(OrganizationMapper::view).toList(), limit,
                            v -> Paging.encode("org-members:" + id, v.userId())));
        });
    }

    /**
     * Adds or changes a member. Nobody grants a role above their own; only an owner makes, changes or removes an
     * admin or owner; the last owner can neither be demoted nor removed.
     */
    /** Adds a member or changes a member's role; {@code If-Match} names the membership as it was read. */
    public Uni<OrganizationMemberView> putMember(Caller caller, String id, String userId,
            PutOrganizationMemberRequest body, String ifMatch) {
        PutOrganizationMemberRequest req = body == null ? new PutOrganizationMemberRequest(null, null, null) : body;
        Role target = Role.parse(req.role()).filter(r -> r != Role.VIEWER).orElse(null);
        new Violations()
                .check(target != null, "role", "one of owner, admin, member")
                .check(req.email() == null || (req.email().length() <= 254 && req.email().contains("@")), "email",
                        "an email address")
                .check(req.name() == null || req.name().length() <= 100, "name", "at most 100 characters")
                .check(userId.length() <= 255, "user_id", "at most 255 characters")
                .throwIfAny();
        return Shield.of(() -> Panache.withTransaction(() -> access.organization(caller, id, OrgPermission.MANAGE_MEMBERS)
                .flatMap(g -> OrganizationMember.<OrganizationMember>findById(new OrganizationMember.Key(id, userId))
                        .call(existing -> existing == null ? Uni.createFrom().voidItem() : Locks.forUpdate(existing))
                        .flatMap(existing -> {
                            ETags.requireMatch(ifMatch, existing == null ? null
                                    : etags.of(OrganizationMapper.view(existing)));
                            Role current = existing == null ? null : Role.parse(existing.role).orElse(null);
                            requireMayGrant(caller, g.role(), current, target);
                            Uni<Void> ownerCheck = current == Role.OWNER && target != Role.OWNER
                                    ? requireAnotherOwner(id)
                                    : Uni.createFrom().voidItem();
                            return ownerCheck.flatMap(v -> {
                                OrganizationMemberView before = existing == null ? null
                                        : OrganizationMapper.view(existing);
                                OrganizationMember m = existing != null ? existing : new OrganizationMember();
                                if (existing == null) {
                                    m.organizationId = id;
                                    m.userId = userId;
                                    m.createdAt = Clock.now();
                                }
                                m.role = target.wire();
                                if (req.email() != null) {
                                    m.email = req.email();
                                }
                                if (req.name() != null) {
                                    m.name = req.name();
                                }
                                m.updatedAt = Clock.now();
                                Uni<?> write = existing == null ? m.persist() : Uni.createFrom().item(m);
                                return write.chain(() -> Panache.getSession().chain(s -> s.flush()))
                                        .chain(() -> {
                                            OrganizationMemberView after = OrganizationMapper.view(m);
                                            return events.append(existing == null ? "organization.member_added"
                                                    : "organization.member_updated", caller.actor(),
                                                    caller.requestId(),
                                                    new EventLog.Subject(id, null, "organization_member", userId),
                                                    before, after).replaceWith(after);
                                        });
                            });
                        }))));
    }

    public Uni<Void> removeMember(Caller caller, String id, String userId, String ifMatch) {
        boolean self = caller.principal().isUser() && caller.principal().id().equals(userId);
        return Shield.of(() -> Panache.withTransaction(() -> access
                .organization(caller, id, self ? OrgPermission.READ : OrgPermission.MANAGE_MEMBERS)
                .flatMap(g -> OrganizationMember.<OrganizationMember>findById(new OrganizationMember.Key(id, userId))
                        .call(existing -> existing == null ? Uni.createFrom().voidItem() : Locks.forUpdate(existing))
                        .flatMap(existing -> {
                            if (existing == null) {
                                return Uni.createFrom().failure(ApiException.notFound());
                            }
                            Role current = Role.parse(existing.role).orElse(Role.MEMBER);
                            if (!self) {
                                requireMayGrant(caller, g.role(), current, null);
                            }
                            ETags.requireMatch(ifMatch, etags.of(OrganizationMapper.view(existing)));
                            Uni<Void> ownerCheck = current == Role.OWNER ? requireAnotherOwner(id)
                                    : Uni.createFrom().voidItem();
                            OrganizationMemberView before = OrganizationMapper.view(existing);
                            return ownerCheck.chain(() -> existing.delete())
                                    .chain(() -> events.append("organization.member_removed", caller.actor(),
                                            caller.requestId(),
                                            new EventLog.Subject(id, null, "organization_member", userId), before,
                                            null))
                                    .replaceWithVoid();
                        }))));
    }

    private static void requireMayGrant(Caller caller, Role callerRole, Role current, Role target) {
        if (caller.principal().platformAdmin()) {
            return;
        }
        boolean touchesPrivileged = (current != null && current.atLeast(Role.ADMIN))
                || (target != null && target.atLeast(Role.ADMIN));
        if (touchesPrivileged && callerRole != Role.OWNER) {
            throw ApiException.forbidden("Only an owner makes, changes or removes admins and owners.");
        }
        if (target != null && !callerRole.atLeast(target)) {
            throw ApiException.forbidden("Nobody grants a role above their own.");
        }
    }

    /** Locks the owner rows so two concurrent demotions cannot both see "another owner" and leave none. */
    private Uni<Void> requireAnotherOwner(String organizationId) {
        return Panache.getSession().chain(s -> Rows.count(s.createNativeQuery(
                "select user_id from organization_members where organization_id = :o and role = 'owner' for update")
                .setParameter("o", organizationId)))
                .map(owners -> {
                    if (owners <= 1) {
                        throw ApiException.conflict("invalid_role_transition",
                                "The last owner cannot be demoted or removed; make another owner first.");
                    }
                    return null;
                });
    }
}
