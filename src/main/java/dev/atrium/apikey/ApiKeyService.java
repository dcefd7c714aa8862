package dev.atrium.apikey;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import dev.atrium.access.Access;
import dev.atrium.access.Permission;
import dev.atrium.access.WorkspaceRef;
import dev.atrium.apikey.dto.ApiKeySecretView;
import dev.atrium.apikey.dto.ApiKeyView;
import dev.atrium.apikey.dto.CreateApiKeyRequest;
import dev.atrium.apikey.dto.RotateApiKeyRequest;
import dev.atrium.apikey.dto.UpdateApiKeyRequest;
import dev.atrium.audit.EventLog;
import dev.atrium.cell.Cells;
import dev.atrium.common.db.Locks;
import dev.atrium.common.db.Rows;
import dev.atrium.common.db.Shield;
import dev.atrium.common.paging.Page;
import dev.atrium.common.paging.Paging;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.problem.Violations;
import dev.atrium.common.security.Caller;
import dev.atrium.common.security.Role;
import dev.atrium.common.text.Text;
import dev.atrium.common.time.Clock;
import dev.atrium.common.web.ETags;
import dev.atrium.common.web.Reply;
import dev.atrium.common.web.Versioned;
import dev.atrium.idempotency.Idempotency;
import dev.atrium.plan.Plans;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * API keys of a workspace. Managing keys is session-only ({@code api_keys:*}, owners and admins); create, update and
 * rotate need the plan's API access, while list, read and revoke never do, so a downgraded workspace can still kill
 * a leaked key. Secrets leave only in the create and rotate answers; events carry the view, which has none.
 */
@ApplicationScoped
public class ApiKeyService {

    /** The key scopes of the contract; each is also the wire name of the permission it grants. */
    public static final List<String> SCOPES = List.of("workspace:read", "workspace:update", "members:read",
            "billing:read", "audit:read", "export:read", "usage:read");

    private final Access access;
    private final Cells cells;
    private final EventLog events;
    private final Idempotency idempotency;
    private final ApiKeySecrets secrets;
    private final Plans plans;
    private final ApiKeyQueries queries;

    public ApiKeyService(Access access, Cells cells, EventLog events, Idempotency idempotency, ApiKeySecrets secrets,
            Plans plans, ApiKeyQueries queries) {
        this.queries = queries;
        this.access = access;
        this.cells = cells;
        this.events = events;
        this.idempotency = idempotency;
        this.secrets = secrets;
        this.plans = plans;
    }


    // ---------------------------------------------------------------- read

    public Uni<Page<ApiKeyView>> list(Caller caller, String workspaceId, int limit, String cursor) {
        return Panache.withSession(() -> access.workspace(caller, workspaceId, Permission.API_KEYS_READ).flatMap(g -> {
            List<String> after = cursor == null ? null : Paging.decode(cursor, "api_keys:" + workspaceId, 2);
            return queries.page(workspaceId, after == null ? null : Paging.instant(after.get(0)),
                    after == null ? null : after.get(1), limit);
        }).map(rows -> Page.of(rows.stream().map(ApiKeyMapper::view).toList(), limit,
                last -> Paging.encode("api_keys:" + workspaceId, last.createdAt().toString(), last.id()))));
    }

    public Uni<Versioned<ApiKeyView>> get(Caller caller, String workspaceId, String keyId) {
        return Panache.withSession(() -> access.workspace(caller, workspaceId, Permission.API_KEYS_READ)
                .flatMap(g -> load(workspaceId, keyId))
                .map(k -> new Versioned<>(ApiKeyMapper.view(k), ApiKeyMapper.etag(k))));
    }

    private static Uni<ApiKey> load(String workspaceId, String keyId) {
        return ApiKey.<ApiKey>find("workspaceId = ?1 and id = ?2", workspaceId, keyId).firstResult().map(k -> {
            if (k == null) {
                throw ApiException.notFound();
            }
            return k;
        });
    }

    // ---------------------------------------------------------------- create

    public Uni<Idempotency.Outcome<ApiKeySecretView>> create(Caller caller, String workspaceId,
            CreateApiKeyRequest body, String idempotencyKey, Function<ApiKeySecretView, Reply> reply) {
        CreateApiKeyRequest req = body != null ? body : new CreateApiKeyRequest(null, null, null);
        List<String> scopes = validate(req.name(), req.scopes(), req.expiresAt());
        Instant expiresAt = truncate(req.expiresAt());
        return idempotency.run(caller, idempotencyKey, req,
                () -> access.workspace(caller, workspaceId, Permission.API_KEYS_WRITE), () -> access
                .workspace(caller, workspaceId, Permission.API_KEYS_WRITE)
                .flatMap(g -> {
                    WorkspaceRef ws = g.workspace();
                    plans.requireApiAccess(ws.plan());
                    int maxApiKeys = plans.maxApiKeys(ws.plan());
                    ws.requireWritable();
                    requireWithinOwnPermissions(g.role(), scopes);
                    return lock(ws.id()).chain(() -> ApiKey.count("workspaceId = ?1 and revokedAt is null"
                            + " and (expiresAt is null or expiresAt > ?2)", ws.id(), Clock.now())).flatMap(active -> {
                                if (active >= maxApiKeys) {
                                    throw new ApiException(403, "limit_exceeded", "The workspace's plan allows "
                                            + maxApiKeys + " active API keys.")
                                            .extension("max_api_keys", maxApiKeys);
                                }
                                ApiKey k = new ApiKey();
                                k.id = cells.newId("key");
                                k.workspaceId = ws.id();
                                k.name = req.name();
                                k.prefix = ApiKeyFormat.prefix(k.id);
                                k.scopeList(scopes);
                                String secret = ApiKeyFormat.newSecret();
                                k.secretHash = secrets.hash(secret);
                                k.creatorUserId = caller.principal().id();
                                k.holderUserId = k.creatorUserId;
                                k.createdAt = Clock.now();
                                k.updatedAt = k.createdAt;
                                k.createdBy = caller.actor();
                                k.expiresAt = expiresAt;
                                return k.persist().chain(() -> Panache.getSession().chain(s -> s.flush()))
                                        .chain(() -> event("api_key.created", caller, ws, k, null))
                                        .map(view -> ApiKeyMapper.withSecret(k, ApiKeyFormat.token(k.id, secret)));
                            });
                }), reply);
    }

    // ---------------------------------------------------------------- update

    public Uni<Versioned<ApiKeyView>> update(Caller caller, String workspaceId, String keyId, UpdateApiKeyRequest body,
            String ifMatch) {
        UpdateApiKeyRequest req = body != null ? body : new UpdateApiKeyRequest(null, null, null);
        List<String> scopes = validate(req.name(), req.scopes(), null);
        Instant expiresAt = truncate(req.expiresAt());
        return Shield.of(() -> Panache.withTransaction(() -> access
                .workspace(caller, workspaceId, Permission.API_KEYS_WRITE)
                .flatMap(g -> {
                    WorkspaceRef ws = g.workspace();
                    plans.requireApiAccess(ws.plan());
                    ws.requireWritable();
                    requireWithinOwnPermissions(g.role(), scopes);
                    return load(workspaceId, keyId).call(Locks::forUpdate).flatMap(k -> {
                        ETags.requireMatch(ifMatch, ApiKeyMapper.etag(k));
                        if (k.revokedAt != null) {
                            throw ApiException.conflict("conflict", "The API key is revoked.");
                        }
                        boolean expiryChanged = expiresAt == null ? k.expiresAt != null : !expiresAt.equals(k.expiresAt);
                        if (expiryChanged && expiresAt != null && !expiresAt.isAfter(Clock.now())) {
                            throw ApiException.validation("expires_at", "must be in the future");
                        }
                        ApiKeyView before = ApiKeyMapper.view(k);
                        k.name = req.name();
                        k.scopeList(scopes);
                        k.expiresAt = expiresAt;
                        if (ApiKeyMapper.view(k).equals(before)) {
                            return Uni.createFrom().item(new Versioned<>(before, ApiKeyMapper.etag(k)));
                        }
                        k.updatedAt = Clock.now();
                        return Panache.getSession().chain(s -> s.flush())
                                .chain(() -> event("api_key.updated", caller, ws, k, before))
                                .map(view -> new Versioned<>(view, ApiKeyMapper.etag(k)));
                    });
                })));
    }

    // ---------------------------------------------------------------- rotate

    /** A new secret for the key; {@code If-Match} names the key as it was read (412 when it changed). */
    public Uni<Idempotency.Outcome<ApiKeySecretView>> rotate(Caller caller, String workspaceId, String keyId,
            RotateApiKeyRequest body, String ifMatch, String idempotencyKey, Function<ApiKeySecretView, Reply> reply) {
        RotateApiKeyRequest req = body != null ? body : new RotateApiKeyRequest(null);
        int grace = req.graceSeconds() == null ? 0 : req.graceSeconds();
        if (grace < 0 || grace > RotateApiKeyRequest.MAX_GRACE_SECONDS) {
            throw ApiException.validation("grace_seconds", "from 0 to " + RotateApiKeyRequest.MAX_GRACE_SECONDS);
        }
        return idempotency.run(caller, idempotencyKey, Map.of("grace_seconds", grace),
                () -> access.workspace(caller, workspaceId, Permission.API_KEYS_WRITE), () -> access
                .workspace(caller, workspaceId, Permission.API_KEYS_WRITE)
                .flatMap(g -> {
                    WorkspaceRef ws = g.workspace();
                    plans.requireApiAccess(ws.plan());
                    ws.requireWritable();
                    return load(workspaceId, keyId).call(Locks::forUpdate).flatMap(k -> {
                        Instant now = Clock.now();
                        ETags.requireMatch(ifMatch, ApiKeyMapper.etag(k));
                        if (k.revokedAt != null) {
                            throw ApiException.conflict("conflict", "The API key is revoked.");
                        }
                        if (k.expiresAt != null && !k.expiresAt.isAfter(now)) {
                            throw ApiException.conflict("conflict", "The API key has expired; create a new one.");
                        }
                        requireWithinOwnPermissions(g.role(), k.scopeList());
                        ApiKeyView before = ApiKeyMapper.view(k);
                        String secret = ApiKeyFormat.newSecret();
                        k.previousSecretHash = grace > 0 ? k.secretHash : null;
                        k.previousExpiresAt = grace > 0 ? now.plus(Duration.ofSeconds(grace)) : null;
                        k.secretHash = secrets.hash(secret);
                        k.holderUserId = caller.principal().id(); // who holds the new secret answers for the key
                        k.updatedAt = now;
                        return Panache.getSession().chain(s -> s.flush())
                                .chain(() -> event("api_key.rotated", caller, ws, k, before))
                                .map(view -> ApiKeyMapper.withSecret(k, ApiKeyFormat.token(k.id, secret)));
                    });
                }), reply);
    }

    // ---------------------------------------------------------------- revoke

    /**
     * Revokes every live key {@code userId} holds in the workspace, in the caller's transaction, with one
     * {@code api_key.revoked} event each: the holder left or was removed, and nobody else answers for those keys.
     */
    public Uni<Void> revokeHeldBy(Caller caller, WorkspaceRef ws, String userId) {
        return ApiKey.<ApiKey>list("workspaceId = ?1 and coalesce(holderUserId, creatorUserId) = ?2"
                + " and revokedAt is null order by id", ws.id(), userId).chain(keys -> {
                    Uni<Void> chain = Uni.createFrom().voidItem();
                    for (ApiKey k : keys) {
                        chain = chain.chain(() -> Locks.forUpdate(k)).chain(() -> {
                            ApiKeyView before = ApiKeyMapper.view(k);
                            markRevoked(k);
                            return Panache.getSession().chain(s -> s.flush())
                                    .chain(() -> event("api_key.revoked", caller, ws, k, before)).replaceWithVoid();
                        });
                    }
                    return chain;
                });
    }

    private static void markRevoked(ApiKey k) {
        k.revokedAt = Clock.now();
        k.updatedAt = k.revokedAt;
        k.previousSecretHash = null;
        k.previousExpiresAt = null;
    }

    /** Revokes at once and keeps the row for the audit trail. Needs no plan entitlement and works while frozen. */
    public Uni<Void> revoke(Caller caller, String workspaceId, String keyId, String ifMatch) {
        return Shield.of(() -> Panache.withTransaction(() -> access
                .workspace(caller, workspaceId, Permission.API_KEYS_WRITE)
                .flatMap(g -> load(workspaceId, keyId).call(Locks::forUpdate).flatMap(k -> {
                    ETags.requireMatch(ifMatch, ApiKeyMapper.etag(k));
                    if (k.revokedAt != null) {
                        return Uni.createFrom().voidItem();
                    }
                    ApiKeyView before = ApiKeyMapper.view(k);
                    markRevoked(k);
                    return Panache.getSession().chain(s -> s.flush())
                            .chain(() -> event("api_key.revoked", caller, g.workspace(), k, before))
                            .replaceWithVoid();
                }))));
    }

    // ---------------------------------------------------------------- rules

    private Uni<ApiKeyView> event(String type, Caller caller, WorkspaceRef ws, ApiKey k, ApiKeyView before) {
        ApiKeyView after = ApiKeyMapper.view(k);
        return events.append(type, caller.actor(), caller.requestId(),
                new EventLog.Subject(ws.organizationId(), ws.id(), "api_key", k.id), before, after).replaceWith(after);
    }

    /**
     * Nobody hands a key more than they hold. A caller without a role here (a platform admin) cannot create keys at
     * all: a key's rights are bounded by its creator's role, and theirs would be none.
     */
    static void requireWithinOwnPermissions(Role role, List<String> scopes) {
        if (role == null) {
            throw ApiException.forbidden("API keys are managed by members of the workspace.");
        }
        Set<String> own = new HashSet<>();
        Permission.of(role).forEach(p -> own.add(p.wire()));
        List<String> beyond = scopes.stream().filter(s -> !own.contains(s)).toList();
        if (!beyond.isEmpty()) {
            throw ApiException.forbidden("These scopes exceed your own permissions: " + beyond)
                    .extension("scopes", beyond);
        }
    }

    private static List<String> validate(String name, List<String> scopes, Instant expiresAt) {
        Violations v = new Violations();
        v.check(Text.validName(name), "name", Text.NAME_RULE);
        if (scopes == null || scopes.isEmpty()) {
            v.add("scopes", "required, at least one of " + SCOPES);
        } else {
            for (int i = 0; i < scopes.size(); i++) {
                v.check(scopes.get(i) != null && SCOPES.contains(scopes.get(i)), "scopes[" + i + "]",
                        "one of " + SCOPES);
            }
        }
        v.check(expiresAt == null || expiresAt.isAfter(Instant.now()), "expires_at", "must be in the future");
        v.throwIfAny();
        return new ArrayList<>(new TreeSet<>(scopes)); // sorted, duplicates dropped
    }

    private static Instant truncate(Instant at) {
        return at == null ? null : at.truncatedTo(ChronoUnit.MICROS);
    }

    /** The workspace row lock: concurrent creates of one workspace count and insert one after another. */
    private static Uni<Void> lock(String workspaceId) {
        return Panache.getSession().chain(s -> Rows.count(s.createNativeQuery(
                "select id from workspaces where id = :id for update").setParameter("id", workspaceId)))
                .replaceWithVoid();
    }
}
