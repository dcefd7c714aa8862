package dev.atrium.common;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;

/**
 * Deny by default, proven endpoint by endpoint. {@link #ENDPOINTS} names every operation of the API with the least
 * role that may call it, as API.md ("Roles and permissions") sets it, not as the code happens to do it; the test fails
 * when the generated OpenAPI and the table differ, so no endpoint ships without a row here.
 */
@QuarkusTest
class EndpointSecurityTest {

    /**
     * What a path puts in reach: nothing but the caller, one workspace, one organization, or one invitation that only
     * its invitee (the user whose verified email it names) can answer, whatever their workspace roles.
     */
    enum Reach {
        CALLER, WORKSPACE, ORGANIZATION, INVITEE
    }

    private static final List<String> WORKSPACE_ROLES = List.of("viewer", "member", "admin", "owner");
    private static final List<String> ORGANIZATION_ROLES = List.of("member", "admin", "owner");
    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options",
            "trace");

    private static final String READ = "atrium:workspaces:read";
    private static final String WRITE = "atrium:workspaces:write";
    private static final String EVENTS = "atrium:events:read";
    private static final String ADMIN = "atrium:admin";

    /** Every API-key scope of the contract; a key created by the owner may hold them all. */
    private static final List<String> KEY_SCOPES = List.of("workspace:read", "workspace:update", "members:read",
            "billing:read", "audit:read", "export:read", "usage:read");

    /**
     * One row per operation. {@code minimumRole} is the workspace role (viewer &lt; member &lt; admin &lt; owner) or
     * organization role (member &lt; admin &lt; owner) that succeeds; {@code null} means any authenticated caller
     * (or, for an invitation token, its invitee). {@code sessionOnly}: users only, never a service or an API key.
     * {@code keyScope}: the API-key scope that allows it ({@code null}: no key ever may, 403
     * {@code api_key_not_allowed}). {@code ownMembership}: the answer is the caller's own member record, which a
     * service never has (404). Bodies are valid so that a status reflects authorization, not validation (string values
     * like {@code {member_id}} are filled from the fixture); {@code precondition} puts the resource in a state where
     * the call can succeed.
     */
    static final Set<String> SERVICE_ONLY = Set.of("GET /v1/events");

    static final String ASTRONOMER = "/platform/v1beta1";

    static final List<Endpoint> ENDPOINTS = List.of(
            anyone("GET", "/v1/me"),
            anyone("GET", "/v1/regions"),
            anyone("GET", "/v1/organizations"),
            anyone("POST", "/v1/organizations").body(Map.of("name", "Security org")).asSessionOnly(),
            organization("GET", "/v1/organizations/{org_id}", "member"),
            organization("PATCH", "/v1/organizations/{org_id}", "admin").body(Map.of("name", "Renamed org")),
            organization("GET", "/v1/organizations/{org_id}/members", "member"),
            organization("PUT", "/v1/organizations/{org_id}/members/{user_id}", "admin")
                    .body(Map.of("role", "member")).asSessionOnly(),
            organization("DELETE", "/v1/organizations/{org_id}/members/{user_id}", "admin").asSessionOnly()
                    .precondition(Fixture::targetJoinsOrganization),
            organization("GET", "/v1/organizations/{org_id}/workspaces", "member"),
            organization("POST", "/v1/organizations/{org_id}/workspaces", "admin")
                    .body(Map.of("name", "Org workspace")),
            organization("GET", "/v1/workspaces/by-account/{account_id}", "member"),
            anyone("GET", "/v1/workspaces"),
            anyone("POST", "/v1/workspaces").body(Map.of("name", "Security workspace")),
            workspace("GET", "/v1/workspaces/{workspace_id}", "viewer").key("workspace:read").service(READ),
            workspace("PATCH", "/v1/workspaces/{workspace_id}", "admin").body(Map.of("name", "Renamed"))
                    .key("workspace:update").service(WRITE),
            workspace("POST", "/v1/workspaces/{workspace_id}/archive", "admin").key("workspace:update")
                    .service(WRITE),
            workspace("POST", "/v1/workspaces/{workspace_id}/unarchive", "admin").precondition(Fixture::archived)
                    .key("workspace:update").service(WRITE),
            workspace("DELETE", "/v1/workspaces/{workspace_id}", "owner").asSessionOnly(),
            workspace("POST", "/v1/workspaces/{workspace_id}/restore", "owner").asSessionOnly()
                    .precondition(Fixture::deleted),
            workspace("PATCH", "/v1/workspaces/{workspace_id}/status", "admin")
                    .body(Map.of("status", "frozen", "reason", "security review")).service(ADMIN),
            workspace("GET", "/v1/workspaces/{workspace_id}/environments", "viewer").key("workspace:read")
                    .service(READ),
            workspace("GET", "/v1/workspaces/{workspace_id}/audit", "member").key("audit:read").service(READ),
            workspace("GET", "/v1/workspaces/{workspace_id}/export", "member").key("export:read").service(READ),
            // A flat path: the run's workspace is resolved and the same checks run (an API key: outside its paths).
            workspace("GET", "/v1/provisioning-runs/{run_id}", "viewer").service(READ),
            workspace("POST", "/v1/provisioning-runs/{run_id}/retry", "admin").service(ADMIN)
                    .precondition(Fixture::failedRun),
            // Members: the fixture's target is a plain member, whom an admin may demote or remove.
            workspace("GET", "/v1/workspaces/{workspace_id}/members", "viewer").key("members:read").service(READ),
            workspace("GET", "/v1/workspaces/{workspace_id}/members/{member_id}", "viewer").key("members:read")
                    .service(READ),
            workspace("GET", "/v1/workspaces/{workspace_id}/members/me", "viewer").asOwnMembership(),
            workspace("PATCH", "/v1/workspaces/{workspace_id}/members/{member_id}", "admin")
                    .body(Map.of("role", "viewer")).asSessionOnly(),
            workspace("DELETE", "/v1/workspaces/{workspace_id}/members/{member_id}", "admin").asSessionOnly(),
            workspace("POST", "/v1/workspaces/{workspace_id}/transfer-ownership", "owner")
                    .body(Map.of("member_id", "{member_id}")).asSessionOnly(),
            // Invitations: the fixture has one pending invitation for its invitee.
            workspace("POST", "/v1/workspaces/{workspace_id}/members/invite", "admin")
                    .body(Map.of("email", "security-invitee@example.com", "role", "member")).asSessionOnly(),
            workspace("GET", "/v1/workspaces/{workspace_id}/invitations", "admin").asSessionOnly(),
            workspace("GET", "/v1/workspaces/{workspace_id}/invitations/{invitation_id}", "admin").asSessionOnly(),
            workspace("POST", "/v1/workspaces/{workspace_id}/invitations/{invitation_id}/resend", "admin")
                    .asSessionOnly(),
            // A flat path: the invitation's workspace is resolved and the same checks run.
            workspace("DELETE", "/v1/workspaces/invitations/{invitation_id}", "admin").asSessionOnly(),
            anyone("GET", "/v1/workspaces/invitations/pending").asSessionOnly(),
            invitee("POST", "/v1/workspaces/invitations/accept").body(Map.of("token", "{token}")),
            invitee("POST", "/v1/workspaces/invitations/{token}/accept"),
            invitee("POST", "/v1/workspaces/invitations/{token}/decline"),
            // API keys: the fixture's workspace is on the team plan and has one key of the owner's with every scope.
            workspace("GET", "/v1/workspaces/{workspace_id}/api-keys", "admin").asSessionOnly(),
            workspace("POST", "/v1/workspaces/{workspace_id}/api-keys", "admin")
                    .body(Map.of("name", "Security key", "scopes", List.of("workspace:read"))).asSessionOnly(),
            workspace("GET", "/v1/workspaces/{workspace_id}/api-keys/{key_id}", "admin").asSessionOnly(),
            workspace("PUT", "/v1/workspaces/{workspace_id}/api-keys/{key_id}", "admin")
                    .body(Map.of("name", "Renamed key", "scopes", List.of("workspace:read"))).asSessionOnly(),
            workspace("DELETE", "/v1/workspaces/{workspace_id}/api-keys/{key_id}", "admin").asSessionOnly(),
            workspace("POST", "/v1/workspaces/{workspace_id}/api-keys/{key_id}/rotate", "admin")
                    .body(Map.of("grace_seconds", 0)).asSessionOnly(),
            // Usage and billing.
            workspace("GET", "/v1/workspaces/{workspace_id}/usage", "admin").key("usage:read").service(READ),
            workspace("GET", "/v1/workspaces/{workspace_id}/billing", "admin").key("billing:read").service(READ),
            // The Astronomer platform API (v1beta1): the Atrium operations under its paths, no API keys.
            organization("GET", ASTRONOMER + "/organizations/{organizationId}/workspaces", "member"),
            organization("POST", ASTRONOMER + "/organizations/{organizationId}/workspaces", "admin")
                    .body(Map.of("name", "Astronomer workspace")),
            workspace("GET", ASTRONOMER + "/organizations/{organizationId}/workspaces/{workspaceId}", "viewer")
                    .service(READ),
            workspace("POST", ASTRONOMER + "/organizations/{organizationId}/workspaces/{workspaceId}", "admin")
                    .body(Map.of("name", "Renamed by Astronomer")).service(WRITE),
            workspace("DELETE", ASTRONOMER + "/organizations/{organizationId}/workspaces/{workspaceId}", "owner")
                    .asSessionOnly(),
            // Recoup: a create in the caller's own organization.
            anyone("POST", "/api/workspaces").body(Map.of("name", "Recoup workspace")));

    @Inject
    Db db;

    private Fixture shared;

    @BeforeEach
    void createFixture() {
        shared = Fixture.create(true, true);
    }

    @Test
    void openApiAndTableListTheSameEndpoints() {
        Map<String, Map<String, Object>> paths = given().accept("application/json").get("/q/openapi").then()
                .statusCode(200).extract().jsonPath().getMap("paths");
        Set<String> documented = new TreeSet<>();
        paths.forEach((path, item) -> item.keySet().stream().filter(HTTP_METHODS::contains)
                .forEach(m -> documented.add(m.toUpperCase() + " " + template(path))));
        Set<String> listed = new TreeSet<>();
        for (Endpoint e : ENDPOINTS) {
            assertTrue(listed.add(e.method() + " " + template(e.path())), "listed twice: " + e);
            boolean byWorkspace = e.path().contains("{workspace_id}") || e.path().contains("{workspaceId}")
                    || e.path().contains("{run_id}") || e.path().contains("{invitation_id}");
            boolean byOrganization = e.path().contains("{org_id}") || e.path().contains("{account_id}")
                    || e.path().contains("{organizationId}");
            boolean byInvitation = e.path().contains("{token}") || e.path().endsWith("/invitations/accept");
            Reach expected = byWorkspace ? Reach.WORKSPACE
                    : byOrganization ? Reach.ORGANIZATION : byInvitation ? Reach.INVITEE : Reach.CALLER;
            assertEquals(expected, e.reach(), "the reach of " + e);
            boolean anyRole = e.reach() == Reach.CALLER || e.reach() == Reach.INVITEE;
            assertEquals(anyRole, e.minimumRole() == null, "the minimum role of " + e);
            assertTrue(e.keyScope() == null || (e.reach() == Reach.WORKSPACE && !e.sessionOnly()
                    && KEY_SCOPES.contains(e.keyScope())), "the key scope of " + e);
            boolean sessionRow = e.sessionOnly() || e.ownMembership();
            assertEquals(e.reach() == Reach.WORKSPACE && !sessionRow, e.serviceScope() != null,
                    "the service scope of " + e);
        }
        // The event feed answers services with atrium:events:read only (users and keys 403): audit/EventFeedTest.
        documented.removeAll(SERVICE_ONLY);
        Set<String> unlisted = new TreeSet<>(documented);
        unlisted.removeAll(listed);
        Set<String> undocumented = new TreeSet<>(listed);
        undocumented.removeAll(documented);
        assertTrue(unlisted.isEmpty(), "endpoints in the OpenAPI without a row in ENDPOINTS (add one saying who may "
                + "call it): " + unlisted);
        assertTrue(undocumented.isEmpty(), "rows in ENDPOINTS that the OpenAPI does not have: " + undocumented);
    }

    @Test
    void everyEndpointRefusesCallsWithoutATrustedToken() {
        Findings findings = new Findings();
        String untrusted = Tokens.signUntrusted(Tokens.userClaims(shared.ownerId));
        for (Endpoint e : ENDPOINTS) {
            findings.unauthenticated(e, "a caller without a token", call(e, shared, null));
            findings.unauthenticated(e, "a token with an untrusted signature", call(e, shared, untrusted));
        }
        findings.assertNone();
    }

    @Test
    void outsidersGet404AsIfTheIdDidNotExist() {
        Findings findings = new Findings();
        String strangerId = Tokens.unique("stranger");
        String stranger = Tokens.user(strangerId);
        Fixture missing = shared.withMissingIds();
        for (Endpoint e : ENDPOINTS) {
            if (e.reach() == Reach.CALLER) {
                continue;
            }
            // For an invitation token, anyone but its invitee is an outsider (someone else's token is 404).
            String who = e.reach() == Reach.INVITEE ? "a user who is not the invitee" : "a non-member";
            Response outside = call(e, shared, stranger);
            findings.problem(e, who, outside, 404, "not_found");
            findings.sameProblem(e, who, outside, call(e, missing, stranger));
        }
        findings.assertNone();
        assertEquals(0, db.count("select count(*) from events where actor ->> 'id' = $1", strangerId),
                "a refused call wrote an event");
        assertEquals("active", db.rows("select status from workspaces where id = $1", shared.workspaceId).get(0)
                .getString(0));
        assertEquals("pending", db.rows("select status from invitations where id = $1", shared.invitationId).get(0)
                .getString(0));
        assertEquals(1, db.count("select count(*) from workspace_members where id = $1", shared.targetMemberId));
    }

    /** Reach is decided before anything else the body asks for: a plan change is 403 only to those who can see it. */
    @Test
    void outsidersGet404EvenWhenTheBodyAsksForMore() {
        Findings findings = new Findings();
        String stranger = Tokens.user(Tokens.unique("stranger"));
        Endpoint patch = endpoint("PATCH", "/v1/workspaces/{workspace_id}").body(Map.of("plan", "enterprise"));
        findings.problem(patch, "a non-member changing the plan", call(patch, shared, stranger), 404, "not_found");
        findings.problem(patch, "a non-member changing the plan of a missing id",
                call(patch, shared.withMissingIds(), stranger), 404, "not_found");
        findings.assertNone();
        assertEquals(Fixture.PLAN, db.rows("select plan from workspaces where id = $1", shared.workspaceId).get(0)
                .getString(0));
    }

    @Test
    void rolesBelowTheMinimumGet403AndTheMinimumSucceeds() {
        Findings findings = new Findings();
        List<String> refused = new ArrayList<>();
        for (Endpoint e : ENDPOINTS) {
            if (e.reach() == Reach.CALLER) {
                findings.success(e, "any user", call(e, shared, Tokens.user(Tokens.unique("anyone"))));
                continue;
            }
            // A fresh resource per row: a success (archive, freeze, rename) must not decide the next row's status.
            Fixture f = fresh(e);
            if (e.reach() == Reach.INVITEE) {
                // Workspace roles do not matter here: even the owner is not the invitee.
                findings.problem(e, "the workspace owner", call(e, f, f.owner), 404, "not_found");
                findings.success(e, "the invitee", call(e, f, f.invitee));
                continue;
            }
            List<String> roles = e.reach() == Reach.WORKSPACE ? WORKSPACE_ROLES : ORGANIZATION_ROLES;
            for (String role : roles.subList(0, roles.indexOf(e.minimumRole()))) {
                String userId = Tokens.unique(role);
                grant(f, e.reach(), role, userId);
                refused.add(userId);
                findings.problem(e, "a " + role, call(e, f, Tokens.user(userId)), 403, "permission_denied");
            }
            if (e.reach() == Reach.WORKSPACE && e.minimumRole().equals("owner")) {
                // A workspace has exactly one owner: the fixture's.
                findings.success(e, "the owner", call(e, f, f.owner));
                continue;
            }
            String userId = Tokens.unique(e.minimumRole());
            grant(f, e.reach(), e.minimumRole(), userId);
            findings.success(e, "a " + e.minimumRole(), call(e, f, Tokens.user(userId)));
        }
        findings.assertNone();
        for (String userId : refused) {
            assertEquals(0, db.count("select count(*) from events where actor ->> 'id' = $1", userId),
                    "a refused call by " + userId + " wrote an event");
        }
    }

    @Test
    void sessionOnlyEndpointsRefuseEvenAnAdminService() {
        Findings findings = new Findings();
        String service = Tokens.service("provisioner", ADMIN);
        for (Endpoint e : ENDPOINTS) {
            if (e.sessionOnly()) {
                findings.problem(e, "an atrium:admin service", call(e, shared, service), 403, "permission_denied");
            } else if (e.ownMembership()) {
                // A service is never a member, so it has no membership to read.
                findings.problem(e, "an atrium:admin service", call(e, shared, service), 404, "not_found");
            }
        }
        findings.assertNone();
    }

    /**
     * Each {@code atrium:*} scope up to its edge: a service succeeds where its scope covers the row's
     * ({@code atrium:admin} covers all, {@code atrium:workspaces:write} covers read), is 403 where it can read the
     * workspace but the row needs more or a user session, and 404 where it cannot even read it. A user token carrying
     * a service scope gets nothing from it.
     */
    @Test
    void servicesActOnlyThroughTheirScopes() {
        Findings findings = new Findings();
        for (String scope : List.of(READ, WRITE, EVENTS, ADMIN)) {
            String service = Tokens.service("billing-service", scope);
            String who = "an " + scope + " service";
            for (Endpoint e : ENDPOINTS) {
                if (e.reach() != Reach.WORKSPACE) {
                    continue;
                }
                if (e.ownMembership()) {
                    findings.problem(e, who + " (never a member)", call(e, shared, service), 404, "not_found");
                } else if (e.serviceScope() != null && covers(scope, e.serviceScope())) {
                    // A success may change the workspace: a write gets a fresh one, as for the roles.
                    findings.success(e, who, call(e, e.method().equals("GET") ? shared : fresh(e), service));
                } else if (!scope.equals(EVENTS)) {
                    // Reading any workspace of the cell puts it in reach, so a write (or a session-only call) is 403.
                    findings.problem(e, who, call(e, shared, service), 403, "permission_denied");
                } else {
                    findings.problem(e, who, call(e, shared, service), 404, "not_found");
                }
            }
        }
        String userWithAdminScope = Tokens.sign(Tokens.userClaims(Tokens.unique("sneaky")).claim("scope", ADMIN));
        for (Endpoint e : ENDPOINTS) {
            if (e.reach() == Reach.WORKSPACE) {
                findings.problem(e, "a user token with scope atrium:admin", call(e, shared, userWithAdminScope), 404,
                        "not_found");
            }
        }
        findings.assertNone();
    }

    private static boolean covers(String held, String needed) {
        return held.equals(needed) || held.equals(ADMIN) || (held.equals(WRITE) && needed.equals(READ));
    }

    /**
     * An API key works only under its own workspace's paths, only through its scopes, and never for a session-only
     * operation: with the scope a row needs it succeeds, without it 403 {@code permission_denied}; a row no key may
     * call is 403 {@code api_key_not_allowed}; a key of another workspace gets 404 as if the id did not exist; every
     * path outside {@code /v1/workspaces/{its workspace}/} is 403 {@code api_key_not_allowed}.
     */
    @Test
    void apiKeysActOnlyInTheirWorkspaceAndThroughTheirScopes() {
        Findings findings = new Findings();
        String everyScope = shared.key(KEY_SCOPES);
        String otherWorkspaceKey = Fixture.create(true, false).key(KEY_SCOPES);
        for (Endpoint e : ENDPOINTS) {
            if (e.reach() != Reach.WORKSPACE) {
                findings.problem(e, "an API key", call(e, shared, everyScope), 403, "api_key_not_allowed");
                continue;
            }
            if (e.path().startsWith("/v1/workspaces/{workspace_id}")) {
                findings.problem(e, "an API key of another workspace", call(e, shared, otherWorkspaceKey), 404,
                        "not_found");
            } else {
                // A flat path (a run, an invitation) is outside every key's paths, whichever workspace it names.
                findings.problem(e, "an API key of another workspace", call(e, shared, otherWorkspaceKey), 403,
                        "api_key_not_allowed");
            }
            if (e.keyScope() == null) {
                findings.problem(e, "an API key with every scope", call(e, shared, everyScope), 403,
                        "api_key_not_allowed");
                continue;
            }
            // Reads change nothing and share the fixture; a write gets a fresh one, as for the roles. Keys are made
            // before the precondition (an archived workspace takes no new key).
            boolean read = e.method().equals("GET");
            Fixture f = read ? shared : Fixture.create(true, false);
            List<String> others = KEY_SCOPES.stream().filter(scope -> !scope.equals(e.keyScope())).toList();
            String without = f.key(others);
            String with = f.key(List.of(e.keyScope()));
            if (!read && e.precondition() != null) {
                e.precondition().accept(f);
            }
            findings.problem(e, "an API key with every scope but " + e.keyScope(), call(e, f, without), 403,
                    "permission_denied");
            findings.success(e, "an API key with only " + e.keyScope(), call(e, f, with));
        }
        findings.assertNone();
        assertEquals(0, db.count("select count(*) from events where workspace_id = $1 and actor ->> 'subject_type'"
                + " = 'API_KEY'", shared.workspaceId), "a refused or read-only call by an API key wrote an event");
    }

    // ---------------------------------------------------------------- the table's rows

    record Endpoint(String method, String path, Reach reach, String minimumRole, boolean sessionOnly,
            String serviceScope, String keyScope, boolean ownMembership, Map<String, Object> body,
            Consumer<Fixture> precondition) {

        Endpoint body(Map<String, Object> value) {
            return new Endpoint(method, path, reach, minimumRole, sessionOnly, serviceScope, keyScope, ownMembership,
                    value, precondition);
        }

        Endpoint asSessionOnly() {
            return new Endpoint(method, path, reach, minimumRole, true, serviceScope, keyScope, ownMembership, body,
                    precondition);
        }

        /** The {@code atrium:*} scope that lets a service call this workspace row. */
        Endpoint service(String scope) {
            return new Endpoint(method, path, reach, minimumRole, sessionOnly, scope, keyScope, ownMembership, body,
                    precondition);
        }

        /** The API-key scope that allows this row. */
        Endpoint key(String scope) {
            return new Endpoint(method, path, reach, minimumRole, sessionOnly, serviceScope, scope, ownMembership,
                    body, precondition);
        }

        /** The caller's own member record: services, never members, get 404; API keys are refused. */
        Endpoint asOwnMembership() {
            return new Endpoint(method, path, reach, minimumRole, sessionOnly, serviceScope, keyScope, true, body,
                    precondition);
        }

        Endpoint precondition(Consumer<Fixture> value) {
            return new Endpoint(method, path, reach, minimumRole, sessionOnly, serviceScope, keyScope, ownMembership,
                    body, value);
        }

        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    private static Endpoint anyone(String method, String path) {
        return new Endpoint(method, path, Reach.CALLER, null, false, null, null, false, null, null);
    }

    private static Endpoint workspace(String method, String path, String minimumRole) {
        return new Endpoint(method, path, Reach.WORKSPACE, minimumRole, false, null, null, false, null, null);
    }

    private static Endpoint organization(String method, String path, String minimumRole) {
        return new Endpoint(method, path, Reach.ORGANIZATION, minimumRole, false, null, null, false, null, null);
    }

    /** Answered by the user the invitation names, and by nobody else: a user session only. */
    private static Endpoint invitee(String method, String path) {
        return new Endpoint(method, path, Reach.INVITEE, null, true, null, null, false, null, null);
    }

    private static Endpoint endpoint(String method, String path) {
        return ENDPOINTS.stream().filter(e -> e.method().equals(method) && e.path().equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + method + " " + path));
    }

    /** Parameter names are not part of the contract; only the shape of the path is compared. */
    private static String template(String path) {
        return path.replaceAll("\\{[^}]+}", "{}");
    }

    // ---------------------------------------------------------------- fixtures and calls

    /** A fresh fixture for one row, in the state its precondition asks for. */
    private static Fixture fresh(Endpoint e) {
        Fixture f = Fixture.create(e.reach() != Reach.ORGANIZATION,
                e.reach() == Reach.ORGANIZATION || e.path().contains("{organizationId}"));
        if (e.precondition() != null) {
            e.precondition().accept(f);
        }
        return f;
    }

    /**
     * An owner with a workspace and/or an organization, plus a user to act on. With both, the workspace belongs to
     * the organization. The workspace is on a plan with API access and has its provisioning run, a target user who
     * joined as a plain member (by invitation), a pending invitation for an invitee, and an API key of the owner's
     * with every scope.
     */
    static final class Fixture {
        static final String PLAN = "team";

        final String ownerId;
        final String owner;
        final String workspaceId;
        final String runId;
        final String organizationId;
        final String targetUserId;
        String targetMemberId;
        String invitationId;
        String invitationToken;
        String inviteeId;
        String invitee;
        String keyId;
        /** Secrets of the keys made so far, by their scopes. */
        private final Map<List<String>, String> keys = new HashMap<>();

        private Fixture(String ownerId, String workspaceId, String runId, String organizationId, String targetUserId) {
            this.ownerId = ownerId;
            this.owner = Tokens.user(ownerId);
            this.workspaceId = workspaceId;
            this.runId = runId;
            this.organizationId = organizationId;
            this.targetUserId = targetUserId;
        }

        static Fixture create(boolean withWorkspace, boolean withOrganization) {
            String ownerId = Tokens.unique("owner");
            String token = Tokens.user(ownerId);
            Map<String, Object> org = withOrganization ? Api.organization(token, "Security org") : Map.of();
            Map<String, Object> ws = !withWorkspace ? Map.of() : withOrganization
                    ? Api.activeWorkspace(token, "/v1/organizations/" + org.get("id") + "/workspaces")
                    : Api.activeWorkspace(token);
            Fixture f = new Fixture(ownerId, (String) ws.get("id"), (String) ws.get("provisioning_run_id"),
                    (String) org.get("id"), Tokens.unique("target"));
            if (withWorkspace) {
                f.populateWorkspace();
            }
            return f;
        }

        private void populateWorkspace() {
            Api.as(Tokens.service("billing-service", ADMIN)).body(Map.of("plan", PLAN))
                    .patch("/v1/workspaces/" + workspaceId).then().statusCode(200);
            String targetToken = invite(targetUserId).path("token");
            targetMemberId = Api.as(Tokens.user(targetUserId)).body(Map.of("token", targetToken))
                    .post("/v1/workspaces/invitations/accept").then().statusCode(200).extract().path("id");
            inviteeId = Tokens.unique("invitee");
            invitee = Tokens.user(inviteeId);
            Response invitation = invite(inviteeId);
            invitationId = invitation.path("id");
            invitationToken = invitation.path("token");
            key(KEY_SCOPES);
        }

        private Response invite(String userId) {
            return Api.as(owner).body(Map.of("email", userId + "@example.com", "role", "member"))
                    .post("/v1/workspaces/" + workspaceId + "/members/invite").then().statusCode(201).extract()
                    .response();
        }

        /** The secret of a key of the owner's with exactly these scopes, made through the API on first use. */
        String key(List<String> scopes) {
            return keys.computeIfAbsent(List.copyOf(scopes), s -> {
                Response created = Api.as(owner).body(Map.of("name", "Key " + keys.size(), "scopes", s))
                        .post("/v1/workspaces/" + workspaceId + "/api-keys").then().statusCode(201).extract()
                        .response();
                if (keyId == null) {
                    keyId = created.path("id");
                }
                return created.path("secret");
            });
        }

        /** Well-formed ids (and tokens) of this cell that name nothing: the random tail is changed. */
        Fixture withMissingIds() {
            Fixture f = new Fixture(ownerId, missing(workspaceId), missing(runId), missing(organizationId),
                    targetUserId);
            f.targetMemberId = missing(targetMemberId);
            f.invitationId = missing(invitationId);
            f.invitationToken = missing(invitationToken);
            f.inviteeId = inviteeId;
            f.invitee = invitee;
            f.keyId = missing(keyId);
            return f;
        }

        private static String missing(String id) {
            return id == null ? null : id.substring(0, id.length() - 6) + "000000";
        }

        void archived() {
            Api.as(owner).post("/v1/workspaces/" + workspaceId + "/archive").then().statusCode(200);
        }

        void deleted() {
            Api.as(owner).delete("/v1/workspaces/" + workspaceId).then().statusCode(202);
            for (int i = 0; i < 200; i++) {
                if ("deleted".equals(Api.as(owner).get("/v1/workspaces/" + workspaceId).path("status"))) {
                    return;
                }
                sleep(50);
            }
            throw new AssertionError("workspace " + workspaceId + " was not deleted in time");
        }

        /** The workspace's provisioning run as if it had failed for good. */
        void failedRun() {
            Db sql = io.quarkus.arc.Arc.container().instance(Db.class).get();
            sql.rows("update provisioning_runs set status = 'failed', error = 'step failed', finished_at = now()"
                    + " where id = $1", runId);
            sql.rows("update workspaces set status = 'failed', failure_reason = 'step failed' where id = $1",
                    workspaceId);
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        void targetJoinsOrganization() {
            Api.as(owner).body(Map.of("role", "member"))
                    .put("/v1/organizations/" + organizationId + "/members/" + targetUserId).then().statusCode(200);
        }

        String resolve(String template) {
            String path = template;
            path = fill(path, "{workspace_id}", workspaceId);
            path = fill(path, "{workspaceId}", workspaceId);
            path = fill(path, "{organizationId}", organizationId);
            path = fill(path, "{run_id}", runId);
            path = fill(path, "{org_id}", organizationId);
            path = fill(path, "{account_id}", organizationId);
            path = fill(path, "{user_id}", targetUserId);
            path = fill(path, "{member_id}", targetMemberId);
            path = fill(path, "{invitation_id}", invitationId);
            path = fill(path, "{token}", invitationToken);
            path = fill(path, "{key_id}", keyId);
            if (path.contains("{")) {
                throw new AssertionError("no fixture value for a parameter of " + template);
            }
            return path;
        }

        private static String fill(String path, String parameter, String value) {
            return value == null ? path : path.replace(parameter, value);
        }
    }

    private void grant(Fixture f, Reach reach, String role, String userId) {
        if (reach == Reach.WORKSPACE) {
            db.addMember(f.workspaceId, userId, role);
        } else {
            Api.as(f.owner).body(Map.of("role", role))
                    .put("/v1/organizations/" + f.organizationId + "/members/" + userId).then().statusCode(200);
        }
    }

    private static Response call(Endpoint e, Fixture f, String token) {
        RequestSpecification request = given().accept(ContentType.JSON);
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (e.body() != null) {
            Map<String, Object> body = new LinkedHashMap<>();
            e.body().forEach((name, value) -> body.put(name,
                    value instanceof String text && text.startsWith("{") ? f.resolve(text) : value));
            request.contentType(ContentType.JSON).body(body);
        }
        return request.request(e.method(), f.resolve(e.path()));
    }

    /** How an operation's API writes a refusal. */
    enum Dialect {
        ATRIUM(List.of("status", "code", "type", "title", "detail", "errors")),
        ASTRONOMER(List.of("statusCode", "message")),
        RECOUP(List.of("error", "message"));

        final List<String> fields;

        Dialect(List<String> fields) {
            this.fields = fields;
        }

        static Dialect of(Endpoint e) {
            // The class's path constant, not this enum's constant of the same name.
            return e.path().startsWith(EndpointSecurityTest.ASTRONOMER + "/") ? ASTRONOMER
                    : e.path().startsWith("/api/") ? RECOUP : ATRIUM;
        }

        /** {@code null} when {@code r} is this dialect's refusal with {@code status} (and, for Atrium's, code). */
        String refusal(Response r, int status, String code) {
            Object body;
            try {
                body = r.jsonPath().getMap("");
            } catch (RuntimeException notJson) {
                return "a JSON body";
            }
            Map<?, ?> fields = (Map<?, ?>) body;
            String type = String.valueOf(r.contentType());
            return switch (this) {
                case ATRIUM -> type.startsWith("application/problem+json") && code.equals(fields.get("code")) ? null
                        : "application/problem+json with code " + code;
                case ASTRONOMER -> type.startsWith("application/json") && fields.keySet()
                        .equals(Set.of("message", "requestId", "statusCode"))
                        && Integer.valueOf(status).equals(fields.get("statusCode")) ? null
                                : "{message, requestId, statusCode: " + status + "}";
                case RECOUP -> type.startsWith("application/json") && fields.keySet().equals(Set.of("error", "message"))
                        && Integer.valueOf(status).equals(fields.get("error")) ? null
                                : "{error: " + status + ", message}";
            };
        }
    }

    /** Collects every failed expectation, so one run reports every endpoint that disagrees with the table. */
    private static final class Findings {
        private final List<String> failures = new ArrayList<>();

        void unauthenticated(Endpoint e, String who, Response r) {
            problem(e, who, r, 401, "unauthenticated");
            String challenge = r.header("WWW-Authenticate");
            if (challenge == null || !challenge.startsWith("Bearer")) {
                failures.add(e + " as " + who + ": expected a WWW-Authenticate: Bearer challenge, got " + challenge);
            }
        }

        /**
         * The refusal as the operation's API writes it: problem details with the code for Atrium's own; for the
         * Astronomer and Recoup operations, their error bodies with the status (they carry no code).
         */
        void problem(Endpoint e, String who, Response r, int status, String code) {
            String contentType = r.contentType();
            String expected = Dialect.of(e).refusal(r, status, code);
            if (r.statusCode() != status || contentType == null || expected != null) {
                failures.add(e + " as " + who + ": expected " + status + " " + code + " ("
                        + (expected == null ? Dialect.of(e) : expected) + "), got " + describe(r));
            }
        }

        void success(Endpoint e, String who, Response r) {
            if (r.statusCode() < 200 || r.statusCode() > 299) {
                failures.add(e + " as " + who + ": expected 2xx, got " + describe(r));
            }
        }

        /** A refusal must not tell an existing id from a missing one. */
        void sameProblem(Endpoint e, String who, Response existing, Response missing) {
            for (String field : Dialect.of(e).fields) {
                Object a = field(existing, field);
                Object b = field(missing, field);
                if (a == null ? b != null : !a.equals(b)) {
                    failures.add(e + " as " + who + ": '" + field + "' differs between an existing id (" + a
                            + ") and a missing one (" + b + ")");
                }
            }
        }

        void assertNone() {
            assertTrue(failures.isEmpty(), failures.size() + " check(s) failed:\n  " + String.join("\n  ", failures));
        }

        private static Object field(Response r, String name) {
            try {
                return r.jsonPath().get(name);
            } catch (RuntimeException notJson) {
                return null;
            }
        }

        private static String describe(Response r) {
            String body = r.asString();
            return r.statusCode() + " " + r.contentType() + " "
                    + (body.length() > 300 ? body.substring(0, 300) + "..." : body);
        }
    }
}
