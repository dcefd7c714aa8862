package dev.atrium.invitation;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.atrium.access.Access;
import dev.atrium.access.Permission;
import dev.atrium.access.WorkspaceDirectory;
import dev.atrium.access.WorkspaceRef;
import dev.atrium.audit.EventLog;
import dev.atrium.cell.Cells;
import dev.atrium.common.db.DbErrors;
import dev.atrium.common.db.Shield;
import dev.atrium.common.id.Ids;
import dev.atrium.common.paging.Page;
import dev.atrium.common.paging.Paging;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.problem.Violations;
import dev.atrium.common.security.Actor;
import dev.atrium.common.security.Caller;
import dev.atrium.common.security.Principal;
import dev.atrium.common.security.Role;
import dev.atrium.common.time.Clock;
import dev.atrium.common.web.ETags;
import dev.atrium.common.web.Reply;
import dev.atrium.common.web.RequestIds;
import dev.atrium.common.web.Versioned;
import dev.atrium.idempotency.Idempotency;
import dev.atrium.invitation.dto.CreatedInvitationView;
import dev.atrium.invitation.dto.InvitationView;
import dev.atrium.invitation.dto.InviteRequest;
import dev.atrium.member.Memberships;
import dev.atrium.member.Seats;
import dev.atrium.member.dto.MemberView;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Invitations: invite, resend, accept, decline, revoke and the lists. Every change of an invitation or of the seats it
 * holds runs under the workspace row lock ({@link Seats#lock}), so seat counts, the hourly invite budget and the
 * single use of a token are decided one request at a time per workspace.
 */
@ApplicationScoped
public class InvitationService {

    static final Set<String> INVITABLE = Set.of("admin", "member", "viewer");
    static final String TOKEN_PREFIX = "atrinv";
    static final int TOKEN_RANDOM_LENGTH = Ids.BODY_LENGTH - Ids.CELL_CODE_LENGTH; // 26 base62 characters, 154 bits
    static final int MIN_TTL = 60;
    static final int MAX_TTL = 30 * 24 * 3600;
    static final long WINDOW_SECONDS = 3600;
    static final String PENDING_EMAIL_CONSTRAINT = "invitations_pending_email_key";
    private static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Cells cells;
    private final Access access;
    private final EventLog events;
    private final Idempotency idempotency;
    private final Seats seats;
    private final ETags etags;
    private final ObjectMapper json;
    private final int ratePerHour;
    private final int defaultTtl;
    private final String cellCode;
    private final WorkspaceDirectory workspaces;
    private final Memberships memberships;
    private final InvitationQueries queries;

    public InvitationService(Cells cells, Access access, EventLog events, Idempotency idempotency, Seats seats,
            ETags etags, ObjectMapper json,
            @ConfigProperty(name = "atrium.invitations.rate-limit-per-hour", defaultValue = "20") int ratePerHour,
            @ConfigProperty(name = "atrium.invitations.default-ttl-seconds", defaultValue = "604800") int defaultTtl,
            WorkspaceDirectory workspaces, Memberships memberships, InvitationQueries queries) {
        this.queries = queries;
        this.workspaces = workspaces;
        this.memberships = memberships;
        this.cells = cells;
        this.access = access;
        this.events = events;
        this.idempotency = idempotency;
        this.seats = seats;
        this.etags = etags;
        this.json = json;
        this.ratePerHour = ratePerHour;
        this.defaultTtl = defaultTtl;
        this.cellCode = Ids.cellCode(cells.region());
    }


    record Budget(long used, long resetSeconds) {
    }

    // ---------------------------------------------------------------- invite

    /** A new invitation with its token (shown once), and the workspace's invitation budget after it. */
    public record Invited(CreatedInvitationView invitation, int limit, long remaining, long resetSeconds) {
    }

    public Uni<Idempotency.Outcome<Invited>> invite(Caller caller, String workspaceId, InviteRequest body,
            String idempotencyKey, Function<Invited, Reply> reply) {
        InviteRequest req = body == null ? new InviteRequest(null, null, null) : body;
        Violations v = new Violations();
        v.check(validEmail(req.email()), "email", "required, an email address of at most 254 characters");
        v.check(req.role() != null && INVITABLE.contains(req.role()), "role", "required, one of admin, member, viewer");
        v.check(req.ttlSeconds() == null || (req.ttlSeconds() >= MIN_TTL && req.ttlSeconds() <= MAX_TTL),
                "ttl_seconds", "from " + MIN_TTL + " to " + MAX_TTL);
        v.throwIfAny();
        String email = req.email().trim();
        Role role = Role.parse(req.role()).orElseThrow();
        int ttl = req.ttlSeconds() == null ? defaultTtl : req.ttlSeconds();
        return idempotency.run(caller, idempotencyKey, req,
                () -> access.workspace(caller, workspaceId, Permission.MEMBERS_INVITE),
                () -> inviteNow(caller, workspaceId, email, role, ttl), reply)
                .onFailure(t -> DbErrors.isUniqueViolation(t, PENDING_EMAIL_CONSTRAINT))
                .transform(t -> alreadyMember());
    }

    private Uni<Invited> inviteNow(Caller caller, String workspaceId, String email, Role role, int ttl) {
        Instant now = Clock.now();
        return lockedGrant(caller, workspaceId).flatMap(grant -> {
            requireGrantable(caller.principal(), grant.role(), role);
            WorkspaceRef ws = grant.workspace();
            ws.requireWritable();
            return budget(ws.id(), now)
                    .chain(budget -> {
                        if (budget.used() >= ratePerHour) {
                            throw rateLimited(budget);
                        }
                        return requireNotInvolved(ws.id(), email, now)
                                .chain(() -> expireStale(caller, ws, email, now))
                                .chain(() -> seats.used(ws.id(), now))
                                .chain(used -> {
                                    seats.requireWithin(ws, used + 1);
                                    Invitation inv = new Invitation();
                                    inv.id = cells.newId("inv");
                                    inv.workspaceId = ws.id();
                                    inv.email = email;
                                    inv.role = role.wire();
                                    inv.status = InvitationStatus.PENDING.wire();
                                    inv.ttlSeconds = ttl;
                                    inv.expiresAt = now.plusSeconds(ttl);
                                    inv.invitedBy = caller.actor();
                                    inv.inviterId = caller.principal().id();
                                    inv.createdAt = now;
                                    inv.updatedAt = now;
                                    String token = newToken();
                                    inv.tokenHash = hash(token);
                                    return inv.<Invitation>persist()
                                            .chain(() -> events.append("invitation.created", caller.actor(),
                                                    caller.requestId(), subject(ws, inv), null,
                                                    InvitationMapper.view(inv, now)))
                                            .map(e -> {
                                                long reset = budget.used() == 0 ? WINDOW_SECONDS : budget.resetSeconds();
                                                return new Invited(InvitationMapper.created(inv, now, token),
                                                        ratePerHour, ratePerHour - budget.used() - 1, reset);
                                            });
                                });
                    });
        });
    }

    /**
     * Takes the workspace row lock before anything reads the workspace, so its status, plan and limits as read here
     * hold until commit. Locking a row the caller may not see reveals nothing: the answer is still Access's.
     */
    /**
     * The caller's grant, decided before the workspace row is locked (so nobody without the right can queue on
     * another tenant's lock) and again under the lock, where it holds until commit.
     */
    private Uni<Access.WorkspaceGrant> lockedGrant(Caller caller, String workspaceId) {
        return access.workspace(caller, workspaceId, Permission.MEMBERS_INVITE)
                .chain(() -> seats.lock(workspaceId))
                .chain(() -> Panache.getSession().invoke(s -> s.clear()))
                .chain(() -> access.workspace(caller, workspaceId, Permission.MEMBERS_INVITE));
    }

    /** Invitations created for the workspace in the last hour, and seconds until the oldest of them leaves the window. */
    private Uni<Budget> budget(String workspaceId, Instant now) {
        return Panache.getSession().chain(s -> s.createNativeQuery("select count(*), cast(coalesce(ceil(extract(epoch"
                + " from (min(created_at) + interval '1 hour' - :now))), 0) as bigint) from invitations"
                + " where workspace_id = :id and created_at > :since", Object[].class)
                .setParameter("id", workspaceId).setParameter("now", now)
                .setParameter("since", now.minusSeconds(WINDOW_SECONDS))
                .getSingleResult())
                .map(row -> new Budget(((Number) row[0]).longValue(), Math.max(1, ((Number) row[1]).longValue())));
    }

    private ApiException rateLimited(Budget budget) {
        return new ApiException(429, "rate_limited", "This workspace has sent " + ratePerHour
                + " invitations in the last hour, the most allowed; retry after " + budget.resetSeconds() + " s.")
                .header("Retry-After", String.valueOf(budget.resetSeconds()))
                .header("RateLimit-Limit", String.valueOf(ratePerHour))
                .header("RateLimit-Remaining", "0")
                .header("RateLimit-Reset", String.valueOf(budget.resetSeconds()));
    }

    /** 409 {@code already_member} when the email belongs to a member or has an open invitation here. */
    private Uni<Void> requireNotInvolved(String workspaceId, String email, Instant now) {
        return Panache.getSession().chain(s -> s.createNativeQuery("select (select count(*) from workspace_members"
                + " where workspace_id = :id and lower(email) = lower(:e)) + (select count(*) from invitations"
                + " where workspace_id = :id and status = 'pending' and expires_at > :now and lower(email) = lower(:e))",
                Long.class)
                .setParameter("id", workspaceId).setParameter("e", email).setParameter("now", now).getSingleResult())
                .map(n -> {
                    if (n > 0) {
                        throw alreadyMember();
                    }
                    return null;
                });
    }

    private static ApiException alreadyMember() {
        return ApiException.conflict("already_member",
                "This email already belongs to a member or has a pending invitation in this workspace.");
    }

    /**
     * A pending invitation past its expiry is stored as expired once a new one replaces it, so the one-open-invitation
     * index holds. Flushed at once: Hibernate would otherwise insert the new row before updating the old one.
     */
    private Uni<Void> expireStale(Caller caller, WorkspaceRef ws, String email, Instant now) {
        return Invitation.<Invitation>list("workspaceId = ?1 and status = ?2 and expiresAt <= ?3 and lower(email) = ?4",
                ws.id(), InvitationStatus.PENDING.wire(), now, email.toLowerCase()).chain(stale -> {
                    Uni<Void> chain = Uni.createFrom().voidItem();
                    for (Invitation inv : stale) {
                        chain = chain.chain(() -> {
                            InvitationView before = InvitationMapper.view(inv, now);
                            inv.status = InvitationStatus.EXPIRED.wire();
                            inv.updatedAt = now;
                            return events.append("invitation.expired", Actor.SYSTEM, caller.requestId(),
                                    subject(ws, inv), before, InvitationMapper.view(inv, now)).replaceWithVoid();
                        });
                    }
                    return chain.chain(() -> Panache.getSession().chain(s -> s.flush()));
                });
    }

    // ---------------------------------------------------------------- resend

    public Uni<Idempotency.Outcome<CreatedInvitationView>> resend(Caller caller, String workspaceId,
            String invitationId, String idempotencyKey, Function<CreatedInvitationView, Reply> reply) {
        return idempotency.run(caller, idempotencyKey, Map.of("invitation_id", String.valueOf(invitationId)),
                () -> access.workspace(caller, workspaceId, Permission.MEMBERS_INVITE),
                () -> resendNow(caller, workspaceId, invitationId), reply)
                .onFailure(t -> DbErrors.isUniqueViolation(t, PENDING_EMAIL_CONSTRAINT))
                .transform(t -> alreadyMember());
    }

    private Uni<CreatedInvitationView> resendNow(Caller caller, String workspaceId, String invitationId) {
        Instant now = Clock.now();
        return lockedGrant(caller, workspaceId).flatMap(grant -> {
            WorkspaceRef ws = grant.workspace();
            return child(ws.id(), invitationId).chain(inv -> {
                ws.requireWritable();
                requireGrantable(caller.principal(), grant.role(), Role.parse(inv.role).orElseThrow());
                String shown = inv.effectiveStatus(now);
                if (!InvitationStatus.PENDING.is(shown) && !InvitationStatus.EXPIRED.is(shown)) {
                    throw ApiException.conflict("conflict", "The invitation is " + shown + "; only pending or expired"
                            + " invitations can be resent.").extension("current_status", shown);
                }
                InvitationView before = InvitationMapper.view(inv, now);
                // An expired invitation coming back takes a seat again and must not duplicate a newer one.
                Uni<Void> room = inv.open(now) ? Uni.createFrom().voidItem()
                        : requireNotInvolved(ws.id(), inv.email, now)
                                .chain(() -> seats.used(ws.id(), now))
                                .map(used -> {
                                    seats.requireWithin(ws, used + 1);
                                    return null;
                                });
                return room.chain(() -> {
                    String token = newToken();
                    inv.tokenHash = hash(token);
                    inv.status = InvitationStatus.PENDING.wire();
                    inv.expiresAt = now.plusSeconds(inv.ttlSeconds);
                    inv.invitedBy = caller.actor();
                    inv.inviterId = caller.principal().id();
                    inv.updatedAt = now;
                    return Panache.getSession().chain(s -> s.flush())
                            .chain(() -> events.append("invitation.resent", caller.actor(), caller.requestId(),
                                    subject(ws, inv), before, InvitationMapper.view(inv, now)))
                            .map(e -> InvitationMapper.created(inv, now, token));
                });
            });
        });
    }

    // ---------------------------------------------------------------- accept and decline

    /**
     * Accepts by token. The token names its home cell, so another cell's token is redirected there. Idempotency is
     * scoped to the path with the token masked, and to a hash of the token, so the token is stored nowhere.
     */
    public Uni<Idempotency.Outcome<MemberView>> accept(Caller caller, String token, String idempotencyKey,
            Function<MemberView, Reply> reply) {
        requireVerifiedUser(caller.principal());
        routeToken(caller, token);
        String tokenHash = hash(token);
        // Only the invitee's verified session gets here (checked above on every attempt); a replay shows it the
        // membership its own acceptance made.
        return idempotency.run(masked(caller), idempotencyKey, Map.of("token_sha256", tokenHash),
                Idempotency::checkedBefore, () -> acceptNow(caller, tokenHash), reply);
    }

    private Uni<MemberView> acceptNow(Caller caller, String tokenHash) {
        Instant now = Clock.now();
        Principal p = caller.principal();
        return lockedByToken(tokenHash).chain(inv -> {
            if (!inv.open(now) || !inv.email.equalsIgnoreCase(p.email())) {
                throw ApiException.notFound();
            }
            return workspaces.workspace(inv.workspaceId).chain(ws -> {
                ws.requireWritable();
                return memberships.of(ws.id(), p.id())
                        .chain(existing -> {
                            if (existing != null) {
                                throw alreadyMember();
                            }
                            return requireInviterMayStillGrant(ws, inv);
                        })
                        // The invitation already holds its seat; a plan lowered since may no longer have room.
                        .chain(() -> seats.used(ws.id(), now))
                        .chain(used -> {
                            seats.requireWithin(ws, used);
                            return seats.requireJoinBudget(p.id(), false);
                        })
                        .chain(() -> {
                            InvitationView before = InvitationMapper.view(inv, now);
                            return memberships.add(ws, new Memberships.Joiner(p.id(), p.email(), p.name()),
                                    Role.parse(inv.role).orElseThrow(), inv.invitedBy, caller.actor(),
                                    caller.requestId(), now)
                                    .call(member -> {
                                        inv.status = InvitationStatus.ACCEPTED.wire();
                                        inv.respondedAt = now;
                                        inv.memberId = member.id();
                                        inv.updatedAt = now;
                                        return Panache.getSession().chain(session -> session.flush())
                                                .chain(() -> events.append("invitation.accepted", caller.actor(),
                                                        caller.requestId(), subject(ws, inv), before,
                                                        InvitationMapper.view(inv, now)));
                                    });
                        });
            });
        });
    }

    public Uni<Idempotency.Outcome<InvitationView>> decline(Caller caller, String token, String idempotencyKey,
            Function<InvitationView, Reply> reply) {
        requireVerifiedUser(caller.principal());
        routeToken(caller, token);
        String tokenHash = hash(token);
        return idempotency.run(masked(caller), idempotencyKey, Map.of("token_sha256", tokenHash),
                Idempotency::checkedBefore, () -> {
            Instant now = Clock.now();
            return lockedByToken(tokenHash).chain(inv -> {
                if (!inv.open(now) || !inv.email.equalsIgnoreCase(caller.principal().email())) {
                    throw ApiException.notFound();
                }
                InvitationView before = InvitationMapper.view(inv, now);
                inv.status = InvitationStatus.DECLINED.wire();
                inv.respondedAt = now;
                inv.updatedAt = now;
                return workspaces.workspace(inv.workspaceId)
                        .chain(ws -> events.append("invitation.declined", caller.actor(), caller.requestId(),
                                subject(ws, inv), before, InvitationMapper.view(inv, now)))
                        .map(e -> InvitationMapper.view(inv, now));
            });
        }, reply);
    }

    /**
     * Finds the invitation of a token and takes its workspace's row lock before loading it, so two requests with one
     * token see each other's outcome. Anything unknown is the same 404.
     */
    private Uni<Invitation> lockedByToken(String tokenHash) {
        return Panache.getSession()
                .chain(s -> s.createNativeQuery("select workspace_id from invitations where token_hash = :h",
                        String.class).setParameter("h", tokenHash).getResultList())
                .chain(ids -> {
                    if (ids.isEmpty()) {
                        return Uni.createFrom().<Invitation>failure(ApiException.notFound());
                    }
                    return seats.lock(ids.get(0))
                            .chain(() -> Invitation.<Invitation>find("tokenHash", tokenHash).firstResult());
                })
                .map((Invitation inv) -> {
                    if (inv == null) {
                        throw ApiException.notFound(); // resent meanwhile: the old token is dead
                    }
                    return inv;
                });
    }

    private static void requireVerifiedUser(Principal p) {
        if (p.isApiKey()) {
            throw Access.apiKeyNotAllowed();
        }
        if (!p.isUser()) {
            throw ApiException.forbidden("Only users accept or decline invitations.");
        }
        if (!p.emailVerified() || p.email() == null) {
            throw ApiException.forbidden("Verify your email address before answering invitations.");
        }
    }

    /** A token that is not one of ours is simply not found; another cell's is sent there. */
    private void routeToken(Caller caller, String token) {
        if (token == null || !token.startsWith(TOKEN_PREFIX + "_")) {
            throw ApiException.notFound();
        }
        cells.requireLocal(token, TOKEN_PREFIX, caller.pathAndQuery());
    }

    /** The caller with the token masked out of its path, for the idempotency record. */
    private static Caller masked(Caller caller) {
        return new Caller(caller.principal(), caller.requestId(), RequestIds.redact(caller.pathAndQuery()));
    }

    // ---------------------------------------------------------------- revoke

    /** Revokes a pending invitation; {@code If-Match} names the invitation as it was read (412 when it changed). */
    public Uni<Void> revoke(Caller caller, String invitationId, String ifMatch) {
        cells.requireLocal(invitationId, "inv", caller.pathAndQuery());
        return Shield.of(() -> Panache.withTransaction(() -> Panache.getSession()
                .chain(s -> s.createNativeQuery("select workspace_id from invitations where id = :id", String.class)
                        .setParameter("id", invitationId).getResultList())
                .chain(ids -> {
                    if (ids.isEmpty()) {
                        return Uni.createFrom().<Void>failure(ApiException.notFound());
                    }
                    return lockedGrant(caller, ids.get(0)).chain(grant -> child(grant.workspace().id(), invitationId)
                            .chain(found -> {
                                Instant now = Clock.now();
                                ETags.requireMatch(ifMatch, etags.of(InvitationMapper.view(found, now)));
                                String shown = found.effectiveStatus(now);
                                if (InvitationStatus.REVOKED.is(shown)) {
                                    return Uni.createFrom().voidItem();
                                }
                                if (!InvitationStatus.PENDING.is(shown)) {
                                    throw ApiException.conflict("conflict", "The invitation is " + shown
                                            + "; only pending invitations can be revoked.")
                                            .extension("current_status", shown);
                                }
                                InvitationView before = InvitationMapper.view(found, now);
                                found.status = InvitationStatus.REVOKED.wire();
                                found.respondedAt = now;
                                found.updatedAt = now;
                                return events.append("invitation.revoked", caller.actor(), caller.requestId(),
                                        subject(grant.workspace(), found), before, InvitationMapper.view(found, now))
                                        .replaceWithVoid();
                            }));
                })));
    }

    // ---------------------------------------------------------------- reads

    public record ListQuery(String status, int limit, String cursor) {
    }

    public Uni<Page<InvitationView>> list(Caller caller, String workspaceId, ListQuery query) {
        Instant now = Clock.now();
        String scope = "invitations:" + workspaceId + ":" + query.status();
        return Panache.withSession(() -> access.workspace(caller, workspaceId, Permission.MEMBERS_INVITE)
                .chain(grant -> queries.ofWorkspace(grant.workspace().id(), query.status(), now, after(query.cursor(),
                        scope), query.limit())))
                .map(rows -> page(rows, scope, query.limit(), now));
    }

    public Uni<Page<InvitationView>> pending(Caller caller, int limit, String cursor) {
        Principal p = caller.principal();
        requireVerifiedUser(p);
        Instant now = Clock.now();
        String scope = "invitations:pending";
        return Panache.withSession(() -> queries.pendingFor(p.email(), now, after(cursor, scope), limit))
                .map(rows -> page(rows, scope, limit, now));
    }

    private static InvitationQueries.After after(String cursor, String scope) {
        if (cursor == null) {
            return null;
        }
        List<String> after = Paging.decode(cursor, scope, 2);
        return new InvitationQueries.After(Paging.instant(after.get(0)), after.get(1));
    }

    private static Page<InvitationView> page(List<Invitation> rows, String scope, int limit, Instant now) {
        List<InvitationView> views = new ArrayList<>(rows.size());
        rows.forEach(i -> views.add(InvitationMapper.view(i, now)));
        return Page.of(views, limit, last -> Paging.encode(scope, last.createdAt().toString(), last.id()));
    }

    public Uni<Versioned<InvitationView>> get(Caller caller, String workspaceId, String invitationId) {
        return Panache.withSession(() -> access.workspace(caller, workspaceId, Permission.MEMBERS_INVITE)
                .chain(grant -> child(grant.workspace().id(), invitationId))
                .map(inv -> {
                    InvitationView view = InvitationMapper.view(inv, Clock.now());
                    return new Versioned<>(view, etags.of(view));
                }));
    }

    /** A child is looked up under its parent: another workspace's invitation is as missing as an unknown one. */
    private static Uni<Invitation> child(String workspaceId, String invitationId) {
        return Invitation.<Invitation>find("workspaceId = ?1 and id = ?2", workspaceId, invitationId).firstResult()
                .map(inv -> {
                    if (inv == null) {
                        throw ApiException.notFound();
                    }
                    return inv;
                });
    }


    // ---------------------------------------------------------------- rules

    /**
     * Nobody invites above their own role; {@code owner} is never invited; only the owner (or a platform admin)
     * invites an admin.
     */
    static void requireGrantable(Principal p, Role inviterRole, Role invited) {
        if (p.platformAdmin()) {
            return;
        }
        if (!mayGrant(inviterRole, invited)) {
            throw ApiException.forbidden("Your role may not invite someone as " + invited.wire() + ".");
        }
    }

    private static boolean mayGrant(Role granter, Role invited) {
        if (granter == null || invited == Role.OWNER || !Permission.MEMBERS_INVITE.grantedTo(granter)) {
            return false;
        }
        return invited != Role.ADMIN || granter == Role.OWNER;
    }

    /** The role is checked again against whoever sent the invitation, as their role is now. */
    private Uni<Void> requireInviterMayStillGrant(WorkspaceRef ws, Invitation inv) {
        if (inv.invitedBy != null && Boolean.TRUE.equals(inv.invitedBy.platformAdmin())) {
            return Uni.createFrom().voidItem();
        }
        return memberships.workspaceRole(ws.id(), inv.inviterId)
                .map(granter -> {
                    if (!mayGrant(granter, Role.parse(inv.role).orElseThrow())) {
                        throw ApiException.forbidden("Whoever sent this invitation may no longer grant its role;"
                                + " ask for a new invitation.");
                    }
                    return null;
                });
    }

    static boolean validEmail(String email) {
        return email != null && email.trim().length() <= 254 && email.trim().matches("[^@\\s]+@[^@\\s]+");
    }

    private static EventLog.Subject subject(WorkspaceRef ws, Invitation inv) {
        return new EventLog.Subject(ws.organizationId(), ws.id(), "invitation", inv.id);
    }

    // ---------------------------------------------------------------- tokens

    /** {@code atrinv_<cell code:4><random:26>}: base62, 154 random bits, routable to its cell like an id. */
    String newToken() {
        StringBuilder sb = new StringBuilder(TOKEN_PREFIX).append('_').append(cellCode);
        for (int i = 0; i < TOKEN_RANDOM_LENGTH; i++) {
            sb.append(ALPHABET.charAt(RANDOM.nextInt(62)));
        }
        return sb.toString();
    }

    /** The token has far more entropy than a guesser could search, so a plain SHA-256 is enough to store. */
    static String hash(String token) {
        return HexFormat.of().formatHex(sha256(token.getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] sha256(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
