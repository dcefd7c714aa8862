package dev.atrium.workspace;

import static dev.atrium.workspace.WorkspaceLimits.DESCRIPTION_MAX;
import static dev.atrium.workspace.WorkspaceLimits.FREEZE_REASON_MAX;
import static dev.atrium.workspace.WorkspaceLimits.METADATA_KEYS_MAX;
import static dev.atrium.workspace.WorkspaceLimits.METADATA_KEY_MAX;
import static dev.atrium.workspace.WorkspaceLimits.METADATA_VALUE_MAX;
import static dev.atrium.workspace.WorkspaceLimits.POOLED_SEATS_MAX;
import static dev.atrium.workspace.WorkspaceLimits.REGION_MAX;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

import org.hibernate.FlushMode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.atrium.access.Access;
import dev.atrium.access.Access.OrgPermission;
import dev.atrium.access.Permission;
import dev.atrium.audit.EventLog;
import dev.atrium.cell.Cells;
import dev.atrium.cell.FanOut;
import dev.atrium.cell.PeerClient;
import dev.atrium.cell.RemoteOrganization;
import dev.atrium.common.Slugs;
import dev.atrium.common.db.DbErrors;
import dev.atrium.common.db.Tx;
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
import dev.atrium.common.web.Reply;
import dev.atrium.common.web.Versioned;
import dev.atrium.idempotency.Idempotency;
import dev.atrium.member.Memberships;
import dev.atrium.member.Seats;
import dev.atrium.organization.Organization;
import dev.atrium.organization.OrganizationService;
import dev.atrium.plan.Plans;
import dev.atrium.provisioning.ProvisioningService;
import dev.atrium.workspace.dto.CreateWorkspaceRequest;
import dev.atrium.workspace.dto.EnvironmentView;
import dev.atrium.workspace.dto.StatusChangeRequest;
import dev.atrium.workspace.dto.WorkspaceView;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

@ApplicationScoped
public class WorkspaceService {

    static final String SLUG_CONSTRAINT = "workspaces_organization_slug_key";
    static final Set<String> PATCHABLE = Set.of("name", "description", "billing_mode", "pooled_seat_limit",
            "settings", "metadata", "plan");
    static final Set<String> TENANCY = Set.of("shared", "dedicated");
    static final Set<String> BILLING = Set.of("single", "assigned", "pooled");
    static final int MAX_WAIT_SECONDS = 30;

    private final Cells cells;
    private final Access access;
    private final EventLog events;
    private final Idempotency idempotency;
    private final ObjectMapper json;
    private final OrganizationService organizations;
    private final ProvisioningService provisioning;
    private final Plans plans;
    private final MeterRegistry metrics;
    private final Seats seats;
    private final Memberships memberships;
    private final WorkspaceChanges changes;
    private final WorkspaceQueries queries;
    private final WorkspaceRuns runs;
    private final PeerClient peers;
    private final FanOut fanOut;

    public WorkspaceService(Cells cells, Access access, EventLog events, Idempotency idempotency, ObjectMapper json,
            OrganizationService organizations, ProvisioningService provisioning, Plans plans,
            MeterRegistry metrics, Seats seats, PeerClient peers, FanOut fanOut, Memberships memberships,
            WorkspaceChanges changes, WorkspaceQueries queries, WorkspaceRuns runs) {
        this.changes = changes;
        this.runs = runs;
        this.queries = queries;
        this.seats = seats;
        this.memberships = memberships;
        this.peers = peers;
        this.fanOut = fanOut;
        this.cells = cells;
        this.access = access;
        this.events = events;
        this.idempotency = idempotency;
        this.json = json;
        this.organizations = organizations;
        this.provisioning = provisioning;
        this.plans = plans;
        this.metrics = metrics;
    }


    // ---------------------------------------------------------------- create

    /**
     * A workspace just created: its view and ETag, and its provisioning run, which starts once the create committed
     * or, when {@code provisioned}, already ran to its end in the create's transaction (the view is then the active
     * workspace).
     */
    public record Created(WorkspaceView view, String etag, String runId, boolean provisioned) {
    }

    /**
     * Creates a workspace and its pending provisioning run in one transaction (with its events and idempotency
     * key); the run starts once the transaction has committed. A caller that {@code waits} for the workspace to be
     * active, on a cell where provisioning needs no other system, has the run done in the same transaction instead
     * ({@link Created#provisioned}). {@code reply} is what the caller answers with it, stored for idempotent replays
     * (whose result is {@code null}: nothing was created again).
     */
    public Uni<Idempotency.Outcome<Created>> create(Caller caller, CreateWorkspaceRequest body,
            String pathOrganizationId, String idempotencyKey, boolean waits, Function<Created, Reply> reply) {
        CreateWorkspaceRequest req = body != null ? body
                : new CreateWorkspaceRequest(null, null, null, null, null, null, null, null, null, null, null, null);
        Principal p = caller.principal();
        String organizationId = organizationOf(req, pathOrganizationId);
        validateCreate(req, p);
        cells.requireLocalRegion(req.region(), caller.pathAndQuery());
        if (p.isService() && !p.hasScope(Principal.SCOPE_WORKSPACES_WRITE)) {
            throw ApiException.forbidden("Creating workspaces needs the atrium:workspaces:write scope.");
        }
        int[] attempts = { 0 };
        return targetOrganization(caller, req, organizationId)
                .flatMap(target -> Uni.createFrom().deferred(() -> idempotency.run(caller, idempotencyKey, req,
                        Idempotency::checkedBefore, // the organization grant above is decided again on every attempt
                        () -> insert(caller, req, target, attempts[0]++, waits).invoke(created -> Tx.afterCommit(() -> {
                            metrics.counter("atrium.workspaces.created").increment();
                            if (!created.provisioned()) {
                                provisioning.kick(created.runId());
                            }
                        })), reply))
                        .onFailure(t -> (req.slug() == null && DbErrors.isUniqueViolation(t, SLUG_CONSTRAINT))
                                || DbErrors.isUniqueViolation(t, OrganizationService.PERSONAL_CONSTRAINT)).retry()
                        .atMost(5)
                        .onFailure(t -> DbErrors.isUniqueViolation(t, SLUG_CONSTRAINT))
                        .transform(t -> ApiException.conflict("conflict", "The slug is taken in this organization.")
                                .extension("field", "slug")));
    }

    /**
     * Where a create goes: an organization served here, one homed in a peer cell as that cell described it, or the
     * personal organization of {@code personalOwner}, found or made in the create's own transaction.
     */
    private record Target(String organizationId, RemoteOrganization remote, Memberships.Joiner personalOwner) {
    }

    /**
     * The organization a create goes to. Homed here: as always, and no peer is ever called. Homed in a peer cell (or,
     * on a cell that is not the directory, the caller's personal organization): the caller's role is asked of the
     * home cell before any transaction opens, so a home cell that is down or slow costs no database connection and
     * leaves nothing written (503 {@code cell_unavailable}); the insert then keeps a local reference row for it. An
     * idempotent replay of such a create also needs that answer (or the cached one, at most 30 s old) before it replays.
     */
    private Uni<Target> targetOrganization(Caller caller, CreateWorkspaceRequest req, String organizationId) {
        Principal p = caller.principal();
        if (organizationId != null) {
            Optional<String> home = cells.peerHomeOf(organizationId, "org");
            if (home.isEmpty()) {
                return Uni.createFrom().item(new Target(organizationId, null, null));
            }
            return access.remoteOrganization(caller, home.get(), organizationId, OrgPermission.CREATE_WORKSPACE,
                    peers.forward()).map(remote -> new Target(remote.id(), remote, null));
        }
        if (!peers.isDirectory()) {
            if (!p.isUser()) {
                throw ApiException.validation("organization_id", "required on this cell: personal organizations"
                        + " live in region " + peers.directoryRegion());
            }
            return access.remotePersonalOrganization(caller, OrgPermission.CREATE_WORKSPACE, peers.forward())
                    .map(remote -> new Target(remote.id(), remote, null));
        }
        return Uni.createFrom().item(new Target(null, null, p.isUser()
                ? new Memberships.Joiner(p.id(), p.email(), p.name())
                : new Memberships.Joiner(req.owner().userId(), req.owner().email(), req.owner().name())));
    }

    private static String organizationOf(CreateWorkspaceRequest req, String pathOrganizationId) {
        String byBody = req.organizationId();
        if (req.accountId() != null && byBody != null && !req.accountId().equals(byBody)) {
            throw ApiException.validation("account_id", "differs from organization_id; send only organization_id");
        }
        if (byBody == null) {
            byBody = req.accountId();
        }
        if (pathOrganizationId != null) {
            if (byBody != null && !byBody.equals(pathOrganizationId)) {
                throw ApiException.validation("organization_id", "differs from the organization in the path");
            }
            return pathOrganizationId;
        }
        return byBody;
    }

    private void validateCreate(CreateWorkspaceRequest req, Principal p) {
        Violations v = new Violations();
        if (req.name() != null) {
            v.check(Text.validName(req.name()), "name", Text.NAME_RULE);
        }
        v.check(req.description() == null || req.description().length() <= DESCRIPTION_MAX, "description",
                "at most " + DESCRIPTION_MAX + " characters");
        v.check(req.slug() == null || Slugs.valid(req.slug()), "slug",
                Slugs.RULE);
        v.check(req.tenancyModel() == null || TENANCY.contains(req.tenancyModel()), "tenancy_model",
                "one of shared, dedicated");
        v.check(req.billingMode() == null || BILLING.contains(req.billingMode()), "billing_mode",
                "one of single, assigned, pooled");
        if (req.pooledSeatLimit() != null) {
            v.check("pooled".equals(req.billingMode()), "pooled_seat_limit", "only with billing_mode pooled");
            v.check(req.pooledSeatLimit() >= 1 && req.pooledSeatLimit() <= POOLED_SEATS_MAX, "pooled_seat_limit",
                    "from 1 to " + POOLED_SEATS_MAX);
        }
        checkMetadata(req.metadata(), v);
        if (req.region() != null) {
            v.check(req.region().length() <= REGION_MAX, "region", "at most " + REGION_MAX + " characters");
        }
        if (p.isService()) {
            if (req.owner() == null) {
                v.add("owner", "required when a service creates a workspace");
            } else {
                v.check(req.owner().userId() != null && !req.owner().userId().isBlank()
                        && req.owner().userId().length() <= 255, "owner.user_id", "required, at most 255 characters");
                v.check(validEmail(req.owner().email()), "owner.email", "required, an email address");
                v.check(req.owner().name() == null || req.owner().name().length() <= 100, "owner.name",
                        "at most 100 characters");
            }
        } else if (req.owner() != null) {
            v.add("owner", "only service principals name an owner; the caller owns what they create");
        }
        v.throwIfAny();
    }

    static boolean validEmail(String email) {
        return email != null && email.length() <= 254 && email.matches("[^@\\s]+@[^@\\s]+");
    }

    static void checkMetadata(Map<String, String> metadata, Violations v) {
        if (metadata == null) {
            return;
        }
        v.check(metadata.size() <= METADATA_KEYS_MAX, "metadata", "at most " + METADATA_KEYS_MAX + " keys");
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            v.check(!e.getKey().isEmpty() && e.getKey().length() <= METADATA_KEY_MAX, "metadata." + e.getKey(),
                    "keys are 1 to 40 characters");
            v.check(e.getValue() != null && e.getValue().length() <= METADATA_VALUE_MAX, "metadata." + e.getKey(),
                    "values are strings of at most " + METADATA_VALUE_MAX + " characters");
        }
    }

    private Uni<Created> insert(Caller caller, CreateWorkspaceRequest req, Target target, int attempt,
            boolean waits) {
        Principal p = caller.principal();
        RemoteOrganization remote = target.remote();
        Memberships.Joiner personal = target.personalOwner();
        // A personal organization is its owner's: a user creating in their own, or a service with the write scope
        // (checked before) creating in the owner's.
        Uni<Access.OrganizationGrant> granted = personal != null
                ? organizations.personalInTransaction(caller, personal.userId(), personal.email(), personal.name())
                        .map(o -> new Access.OrganizationGrant(o, p.isUser() ? Role.OWNER : null))
                : remote == null
                        ? access.organization(caller, target.organizationId(), OrgPermission.CREATE_WORKSPACE)
                        : organizations.reference(caller, remote)
                                .map(o -> new Access.OrganizationGrant(o, remote.role()));
        return granted.flatMap(grant -> {
            Organization org = Organization.of(grant.organization());
            String name = req.name() == null ? "Untitled" : req.name();
            // The name's own slug is tried first without a lookup; after a clash the retry looks for a free one.
            String base = Slugs.fromName(name, "workspace");
            Uni<String> slug = req.slug() != null ? Uni.createFrom().item(req.slug())
                    : attempt == 0 ? Uni.createFrom().item(base) : freeSlug(org.id, base);
            return slug.flatMap(s -> {
                Workspace ws = new Workspace();
                ws.id = cells.newId("ws");
                ws.organizationId = org.id;
                ws.name = name;
                ws.slug = s;
                ws.description = req.description();
                ws.region = cells.region();
                ws.tenancyModel = req.tenancyModel() == null ? "shared" : req.tenancyModel();
                ws.status = WorkspaceStatus.PROVISIONING.wire();
                ws.billingMode = req.billingMode() == null ? "single" : req.billingMode();
                ws.plan = plans.defaultPlan();
                ws.pooledSeatLimit = "pooled".equals(ws.billingMode)
                        ? (req.pooledSeatLimit() != null ? req.pooledSeatLimit() : plans.maxMembers(ws.plan))
                        : null;
                ws.settings = WorkspaceMapper.stored(req.settings());
                ws.metadata = req.metadata() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(req.metadata());
                ws.createdAt = Clock.now();
                ws.updatedAt = ws.createdAt;
                ws.createdBy = caller.actor();
                ws.updatedBy = caller.actor();
                Memberships.Joiner owner = p.isService()
                        ? new Memberships.Joiner(req.owner().userId(), req.owner().email(), req.owner().name())
                        : new Memberships.Joiner(p.id(), p.email(), p.name());
                var run = provisioning.plan(WorkspaceRuns.CREATE, ws.id);
                ws.provisioningRunId = run.run().id;
                boolean inline = waits && provisioning.allLocal(WorkspaceRuns.CREATE);
                WorkspaceView view = WorkspaceMapper.view(ws, org.name);
                // A run about to run inline activates the workspace before its first write: one insert, no update.
                Supplier<Uni<Void>> activated = inline ? runs.activateBeforeInsert(ws, org.name) : null;
                // From here the session flushes only where a later statement reads what it wrote: with the
                // owner's membership (the join budget counts it; the workspace is written with it), before the run
                // (its steps' work, or its pending rows) and at commit. Flushing before every native statement too would check
                // every entity of the session for changes each time: most of a create's cost.
                return Panache.getSession().invoke(sess -> sess.setFlushMode(FlushMode.COMMIT))
                        .chain(() -> ws.persist())
                        .chain(() -> events.append("workspace.created", caller.actor(), caller.requestId(),
                                new EventLog.Subject(org.id, ws.id, "workspace", ws.id), null, view))
                        .chain(() -> memberships.add(ws, owner, Role.OWNER, p.isService() ? caller.actor() : null,
                                caller.actor(), caller.requestId(), ws.createdAt))
                        .chain(() -> inline ? provisioning.runInline(run).chain(activated::get)
                                : provisioning.persist(run))
                        // The owner's count, locked since their membership was written (V12).
                        .chain(() -> seats.requireJoinBudget(owner.userId(), true))
                        .map(v -> new Created(inline ? WorkspaceMapper.view(ws, org.name) : view, etag(ws, org),
                                ws.provisioningRunId, inline));
            });
        });
    }

    private Uni<String> freeSlug(String organizationId, String base) {
        return Workspace.<Workspace>find("organizationId = ?1 and (slug = ?2 or slug like ?3)", organizationId, base,
                base + "-%").list().map(rows -> {
                    Set<String> taken = new HashSet<>();
                    rows.forEach(w -> taken.add(w.slug));
                    for (int n = 1;; n++) {
                        if (!taken.contains(Slugs.candidate(base, n))) {
                            return Slugs.candidate(base, n);
                        }
                    }
                });
    }

    // ---------------------------------------------------------------- read

    @io.quarkus.hibernate.reactive.panache.common.WithSession
    public Uni<List<EnvironmentView>> environments(Caller caller, String workspaceId) {
        return access.workspace(caller, workspaceId, Permission.ENVIRONMENTS_READ)
                .chain(() -> Environment.<Environment>list("workspaceId = ?1 order by createdAt, name", workspaceId))
                .map(envs -> envs.stream().map(e -> new EnvironmentView("environment", e.id, e.workspaceId, e.name,
                        e.status, e.createdAt)).toList());
    }

    /** The workspace as it stands, for a caller who was just allowed to create or change it. */
    public Uni<Versioned<WorkspaceView>> current(String id) {
        return Panache.withSession(() -> load(id));
    }

    Uni<Versioned<WorkspaceView>> load(String id) {
        return Workspace.<Workspace>findById(id).flatMap(ws -> ws == null
                ? Uni.createFrom().failure(ApiException.notFound())
                : Organization.<Organization>findById(ws.organizationId).map(org -> found(ws, org)));
    }

    /**
     * One statement: the workspace with its organization's name and the caller's role (an API key's holder's), on
     * which authorization decides; nothing else is read.
     */
    public Uni<Versioned<WorkspaceView>> get(Caller caller, String id) {
        access.requireInReach(caller, id);
        return queries.read(id, Access.memberOf(caller.principal()))
                .map(row -> {
                    access.decideWorkspace(caller, row, row == null ? null : row.role(), Permission.WORKSPACE_READ);
                    return row.versioned();
                });
    }

    /**
     * The representation depends only on the workspace row and its organization's name, and every change to either
     * bumps its version: the pair of versions is a strong validator without serializing and hashing the body.
     */
    static String etag(Workspace ws, Organization org) {
        return etag(ws.version, org.version);
    }

    static String etag(long workspaceVersion, long organizationVersion) {
        return "\"" + workspaceVersion + "." + organizationVersion + "\"";
    }

    private static Versioned<WorkspaceView> found(Workspace ws, Organization org) {
        return new Versioned<>(WorkspaceMapper.view(ws, org.name), etag(ws, org));
    }

    public record ListQuery(String organizationId, String status, Boolean archived, String region, String q,
            Map<String, String> metadata, String sort, int limit, String cursor) {
    }

    /** Lists workspaces: the caller's memberships, or every workspace of an organization when one is named. */
    public Uni<Page<WorkspaceView>> list(Caller caller, ListQuery query, boolean wholeOrganization) {
        Principal p = caller.principal();
        Uni<Void> gate = wholeOrganization
                ? Panache.withSession(() -> access.organization(caller, query.organizationId(), OrgPermission.READ))
                        .replaceWithVoid()
                : Uni.createFrom().voidItem();
        String member = null;
        if (!wholeOrganization && p.isUser()) {
            member = p.id();
        } else if (!wholeOrganization && !p.hasScope(Principal.SCOPE_WORKSPACES_READ)) {
            return gate.replaceWith(new Page<>(List.of(), null));
        }
        String sort = query.sort();
        boolean byName = sort.endsWith("name");
        List<String> after = query.cursor() == null ? null : Paging.decode(query.cursor(), "workspaces:" + sort, 2);
        WorkspaceQueries.Filter filter = new WorkspaceQueries.Filter(member, query.organizationId(), query.status(),
                query.archived(), query.region(), query.q(), query.metadata(), sort,
                after == null ? null : byName ? after.get(0) : WorkspaceQueries.timestamp(Paging.instant(after.get(0))),
                after == null ? null : after.get(1), query.limit());
        return gate.chain(() -> queries.page(filter))
                .map(rows -> Page.of(rows.stream().map(WorkspaceRow::view).toList(), query.limit(),
                        last -> Paging.encode("workspaces:" + sort,
                                byName ? last.name() : last.createdAt().toString(), last.id())));
    }

    /** A slice of an organization's workspaces by position, and how many it has in all. */
    public record Slice(List<WorkspaceView> items, long total) {
    }

    /**
     * An organization's workspaces by offset (for clients that page that way), newest first, to the members of the
     * organization and the services that read workspaces, as its cursor-paged list.
     */
    public Uni<Slice> slice(Caller caller, String organizationId, int offset, int limit) {
        return Panache.withSession(() -> access.organization(caller, organizationId, OrgPermission.READ))
                .chain(() -> queries.organizationSlice(organizationId, offset, limit))
                .chain(rows -> queries.countInOrganization(organizationId)
                        .map(total -> new Slice(rows.stream().map(WorkspaceRow::view).toList(), total)));
    }

    /**
     * {@code GET /v1/workspaces?regions=all}: this cell's list merged with each peer's (see {@link FanOut}), read
     * with the caller's own token; nothing read from a peer is stored.
     */
    public Uni<FanOut.Merged> listEverywhere(Caller caller, ListQuery query) {
        PeerClient.Forward forward = peers.forward();
        Map<String, String> filters = new LinkedHashMap<>();
        if (query.organizationId() != null) {
            filters.put("organization_id", query.organizationId());
        }
        if (query.status() != null) {
            filters.put("status", query.status());
        }
        if (query.archived() != null) {
            filters.put("archived", query.archived().toString());
        }
        if (query.region() != null) {
            filters.put("region", query.region());
        }
        if (query.q() != null) {
            filters.put("q", query.q());
        }
        query.metadata().forEach((k, v) -> filters.put("metadata." + k, v));
        filters.put("sort", query.sort());
        return fanOut.workspaces(position -> list(caller, new ListQuery(query.organizationId(), query.status(),
                query.archived(), query.region(), query.q(), query.metadata(), query.sort(), query.limit(), position),
                false).map(page -> new PeerClient.PeerPage(
                        page.items().stream().map(v -> (JsonNode) json.valueToTree(v)).toList(), page.nextCursor())),
                filters, query.sort(), query.limit(), query.cursor(), query.region(), forward);
    }

    // ---------------------------------------------------------------- update

    public Uni<Versioned<WorkspaceView>> patch(Caller caller, String id, JsonNode rawPatch, String ifMatch) {
        ObjectNode patch = MergePatch.requireObject(rawPatch, PATCHABLE);
        Principal p = caller.principal();
        return mutate(caller, id, Permission.WORKSPACE_UPDATE, ifMatch, "workspace.updated", (ws, orgName) -> {
            // Checked after access, so a caller outside the workspace still gets 404, never a hint.
            if (patch.has("plan") && !(p.platformAdmin()
                    || (p.isService() && p.scopes().contains(Principal.SCOPE_ADMIN)))) {
                throw ApiException.forbidden("Only atrium:admin services and platform admins change a plan.");
            }
            WorkspaceStatus.requireWritable(ws);
            WorkspaceView current = WorkspaceMapper.view(ws, orgName);
            ObjectNode editable = json.createObjectNode();
            editable.put("name", ws.name);
            editable.put("description", ws.description);
            editable.put("billing_mode", ws.billingMode);
            if (ws.pooledSeatLimit != null) {
                editable.put("pooled_seat_limit", ws.pooledSeatLimit);
            }
            editable.set("settings", json.valueToTree(current.settings()));
            editable.set("metadata", json.valueToTree(current.metadata()));
            editable.put("plan", ws.plan);
            JsonNode merged = MergePatch.apply(editable, patch);
            return applyMerged(ws, merged, patch);
        });
    }

    /** Validates the merged representation as a whole, then writes it. Returns the seats check when needed. */
    private Uni<Void> applyMerged(Workspace ws, JsonNode merged, ObjectNode patch) {
        Violations v = new Violations();
        JsonNode name = merged.get("name");
        v.check(name != null && name.isTextual() && Text.validName(name.asText()), "name", Text.NAME_RULE);
        JsonNode description = merged.get("description");
        v.check(description == null || description.isNull()
                || (description.isTextual() && description.asText().length() <= DESCRIPTION_MAX), "description",
                "a string of at most " + DESCRIPTION_MAX + " characters, or null");
        JsonNode billing = merged.get("billing_mode");
        v.check(billing != null && billing.isTextual() && BILLING.contains(billing.asText()), "billing_mode",
                "required, one of single, assigned, pooled");
        JsonNode plan = merged.get("plan");
        v.check(plan != null && plan.isTextual() && plans.exists(plan.asText()), "plan",
                "required, one of " + String.join(", ", plans.names()));
        JsonNode limit = merged.get("pooled_seat_limit");
        boolean pooled = billing != null && "pooled".equals(billing.asText());
        if (limit != null && !limit.isNull()) {
            v.check(limit.isInt() && limit.asInt() >= 1 && limit.asInt() <= POOLED_SEATS_MAX, "pooled_seat_limit",
                    "an integer from 1 to " + POOLED_SEATS_MAX);
            v.check(pooled || !patch.has("pooled_seat_limit"), "pooled_seat_limit", "only with billing_mode pooled");
        }
        JsonNode settings = merged.get("settings");
        if (settings == null || !settings.isObject()) {
            v.add("settings", "required, an object");
        } else {
            settings.fieldNames().forEachRemaining(
                    f -> v.check(f.equals("cicd_enforced_default"), "settings." + f, "unknown setting"));
            JsonNode cicd = settings.get("cicd_enforced_default");
            v.check(cicd == null || cicd.isBoolean(), "settings.cicd_enforced_default", "a boolean");
        }
        JsonNode metadata = merged.get("metadata");
        Map<String, String> meta = new LinkedHashMap<>();
        if (metadata == null || !metadata.isObject()) {
            v.add("metadata", "required, an object of strings");
        } else {
            metadata.fields().forEachRemaining(e -> {
                if (e.getValue().isTextual()) {
                    meta.put(e.getKey(), e.getValue().asText());
                } else {
                    v.add("metadata." + e.getKey(), "values are strings");
                }
            });
            checkMetadata(meta, v);
        }
        v.throwIfAny();
        ws.name = name.asText();
        ws.description = description == null || description.isNull() ? null : description.asText();
        ws.billingMode = billing.asText();
        ws.plan = plan.asText();
        Integer newLimit = pooled ? (limit != null && !limit.isNull() ? limit.asInt() : plans.maxMembers(ws.plan)) : null;
        ws.settings = Map.of("cicd_enforced_default", settings.path("cicd_enforced_default").asBoolean(false));
        ws.metadata = meta;
        if (newLimit != null && !newLimit.equals(ws.pooledSeatLimit)) {
            ws.pooledSeatLimit = newLimit;
            // Seats are members plus pending invitations, counted under the row lock invites take.
            return seats.lockAndCount(ws.id, Clock.now()).map(used -> {
                if (used > newLimit) {
                    throw ApiException.conflict("seat_limit_below_usage",
                            "pooled_seat_limit " + newLimit + " is below the " + used + " seats in use.");
                }
                return null;
            });
        }
        ws.pooledSeatLimit = newLimit;
        return Uni.createFrom().voidItem();
    }

    /** Archive or unarchive, guarded by an optional {@code Idempotency-Key} like every POST. */
    public Uni<Idempotency.Outcome<Versioned<WorkspaceView>>> archive(Caller caller, String id, boolean archive, String ifMatch,
            String idempotencyKey, Function<Versioned<WorkspaceView>, Reply> reply) {
        return idempotency.run(caller, idempotencyKey, Map.of("archive", archive),
                () -> access.workspace(caller, id, Permission.WORKSPACE_UPDATE),
                () -> archiveNow(caller, id, archive, ifMatch), reply);
    }

    private Uni<Versioned<WorkspaceView>> archiveNow(Caller caller, String id, boolean archive, String ifMatch) {
        return mutate(caller, id, Permission.WORKSPACE_UPDATE, ifMatch,
                archive ? "workspace.archived" : "workspace.unarchived", (ws, orgName) -> {
                    if (archive) {
                        if (WorkspaceStatus.FROZEN.wire().equals(ws.status)) {
                            WorkspaceStatus.requireWritable(ws);
                        }
                        WorkspaceStatus.transition(ws, WorkspaceStatus.ARCHIVED);
                        ws.archivedAt = Clock.now();
                    } else {
                        if (!WorkspaceStatus.ARCHIVED.wire().equals(ws.status)) {
                            throw ApiException.invalidTransition(ws.status, WorkspaceStatus.ACTIVE.wire());
                        }
                        WorkspaceStatus.transition(ws, WorkspaceStatus.ACTIVE);
                        ws.archivedAt = null;
                    }
                    return Uni.createFrom().voidItem();
                });
    }

    /**
     * Freeze and unfreeze. A freeze set by a service or platform admin can only be lifted by one of those;
     * {@code frozen_by} records which kind of principal set it. A freeze may give a reason (seed 002 sends none).
     */
    public Uni<Versioned<WorkspaceView>> changeStatus(Caller caller, String id, StatusChangeRequest body,
            String ifMatch) {
        StatusChangeRequest req = body == null ? new StatusChangeRequest(null, null) : body;
        Violations v = new Violations();
        v.check("frozen".equals(req.status()) || "active".equals(req.status()), "status", "one of frozen, active");
        v.check(req.reason() == null || (!req.reason().isBlank() && req.reason().length() <= FREEZE_REASON_MAX),
                "reason", "not blank, at most " + FREEZE_REASON_MAX + " characters");
        v.throwIfAny();
        Principal p = caller.principal();
        boolean freeze = "frozen".equals(req.status());
        return mutate(caller, id, Permission.STATUS_FREEZE, ifMatch, freeze ? "workspace.frozen" : "workspace.unfrozen",
                (ws, orgName) -> {
                    if (freeze) {
                        WorkspaceStatus.transition(ws, WorkspaceStatus.FROZEN);
                        ws.frozenReason = req.reason();
                        ws.frozenAt = Clock.now();
                        ws.frozenBy = p.isService() ? "SERVICE" : p.platformAdmin() ? "PLATFORM_ADMIN" : "USER";
                    } else {
                        if (!WorkspaceStatus.FROZEN.wire().equals(ws.status)) {
                            throw ApiException.invalidTransition(ws.status, WorkspaceStatus.ACTIVE.wire());
                        }
                        if (!"USER".equals(ws.frozenBy) && p.isUser() && !p.platformAdmin()) {
                            throw ApiException.forbidden(
                                    "This freeze was set by a service or platform admin; only one of those lifts it.");
                        }
                        WorkspaceStatus.transition(ws, WorkspaceStatus.ACTIVE);
                        ws.frozenReason = null;
                        ws.frozenAt = null;
                        ws.frozenBy = null;
                    }
                    return Uni.createFrom().voidItem();
                });
    }

    interface Change {
        Uni<Void> apply(Workspace ws, String organizationName);
    }

    /** Every write of this service: authorize, then the one change shape ({@link WorkspaceChanges}). */
    private Uni<Versioned<WorkspaceView>> mutate(Caller caller, String id, Permission permission, String ifMatch,
            String eventType, Change change) {
        return Tx.run(() -> access.workspace(caller, id, permission).flatMap(g -> {
            Workspace ws = Workspace.of(g.workspace());
            return changes.apply(ws, caller.actor(), caller.requestId(), eventType, ifMatch,
                    org -> change.apply(ws, org.name));
        })).map(WorkspaceChanges.Changed::versioned);
    }
}
