package dev.atrium.common;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
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

    /** What a path puts in reach: nothing but the caller, one workspace, or one organization. */
    enum Reach {
        CALLER, WORKSPACE, ORGANIZATION
    }

    private static final List<String> WORKSPACE_ROLES = List.of("viewer", "member", "admin", "owner");
    private static final List<String> ORGANIZATION_ROLES = List.of("member", "admin", "owner");
    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options",
            "trace");

    private static final String READ = "atrium:workspaces:read";
    private static final String WRITE = "atrium:workspaces:write";
    private static final String EVENTS = "atrium:events:read";
    private static final String ADMIN = "atrium:admin";

    /**
     * One row per operation. {@code minimumRole} is the workspace role (viewer &lt; member &lt; admin &lt; owner) or
     * organization role (member &lt; admin &lt; owner) that succeeds; {@code null} means any authenticated caller.
     * {@code sessionOnly}: users only, never a service or an API key. Bodies are valid so that a status reflects
     * authorization, not validation; {@code precondition} puts the resource in a state where the call can succeed.
     */
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
            workspace("GET", "/v1/workspaces/{workspace_id}", "viewer"),
            workspace("PATCH", "/v1/workspaces/{workspace_id}", "admin").body(Map.of("name", "Renamed")),
            workspace("POST", "/v1/workspaces/{workspace_id}/archive", "admin"),
            workspace("POST", "/v1/workspaces/{workspace_id}/unarchive", "admin").precondition(Fixture::archived),
            workspace("PATCH", "/v1/workspaces/{workspace_id}/status", "admin")
                    .body(Map.of("status", "frozen", "reason", "security review")),
            workspace("GET", "/v1/workspaces/{workspace_id}/environments", "viewer"),
            workspace("GET", "/v1/workspaces/{workspace_id}/audit", "member"),
            // A flat path: the run's workspace is resolved and the same checks run.
            workspace("GET", "/v1/provisioning-runs/{run_id}", "viewer"));

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
        paths.forEach((path, item) -> {
            if (path.startsWith("/v1")) {
                item.keySet().stream().filter(HTTP_METHODS::contains)
                        .forEach(m -> documented.add(m.toUpperCase() + " " + template(path)));
            }
        });
        Set<String> listed = new TreeSet<>();
        for (Endpoint e : ENDPOINTS) {
            assertTrue(listed.add(e.method() + " " + template(e.path())), "listed twice: " + e);
            boolean byWorkspace = e.path().contains("{workspace_id}") || e.path().contains("{run_id}");
            boolean byOrganization = e.path().contains("{org_id}") || e.path().contains("{account_id}");
            Reach expected = byWorkspace ? Reach.WORKSPACE : byOrganization ? Reach.ORGANIZATION : Reach.CALLER;
            assertEquals(expected, e.reach(), "the reach of " + e);
            assertEquals(e.reach() == Reach.CALLER, e.minimumRole() == null, "the minimum role of " + e);
        }
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
            Response outside = call(e, shared, stranger);
            findings.problem(e, "a non-member", outside, 404, "not_found");
            findings.sameProblem(e, "a non-member", outside, call(e, missing, stranger));
        }
        findings.assertNone();
        assertEquals(0, db.count("select count(*) from events where actor ->> 'id' = $1", strangerId),
                "a refused call wrote an event");
        assertEquals("active", db.rows("select status from workspaces where id = $1", shared.workspaceId).get(0)
                .getString(0));
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
        assertEquals("free", db.rows("select plan from workspaces where id = $1", shared.workspaceId).get(0)
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
            Fixture f = Fixture.create(e.reach() == Reach.WORKSPACE, e.reach() == Reach.ORGANIZATION);
            if (e.precondition() != null) {
                e.precondition().accept(f);
            }
            List<String> roles = e.reach() == Reach.WORKSPACE ? WORKSPACE_ROLES : ORGANIZATION_ROLES;
            for (String role : roles.subList(0, roles.indexOf(e.minimumRole()))) {
                String userId = Tokens.unique(role);
                grant(f, e.reach(), role, userId);
                refused.add(userId);
                findings.problem(e, "a " + role, call(e, f, Tokens.user(userId)), 403, "permission_denied");
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
            }
        }
        findings.assertNone();
    }

    @Test
    void servicesActOnlyThroughTheirScopes() {
        Findings findings = new Findings();
        String read = Tokens.service("billing-service", READ);
        String events = Tokens.service("billing-service", EVENTS);
        String userWithAdminScope = Tokens.sign(Tokens.userClaims(Tokens.unique("sneaky")).claim("scope", ADMIN));
        for (Endpoint e : ENDPOINTS) {
            if (e.reach() != Reach.WORKSPACE) {
                continue;
            }
            // Reading any workspace of the cell puts it in reach, so a write is 403, not 404.
            if (e.method().equals("GET")) {
                findings.success(e, "an atrium:workspaces:read service", call(e, shared, read));
            } else {
                findings.problem(e, "an atrium:workspaces:read service", call(e, shared, read), 403,
                        "permission_denied");
            }
            findings.problem(e, "an atrium:events:read service", call(e, shared, events), 404, "not_found");
            findings.problem(e, "a user token with scope atrium:admin", call(e, shared, userWithAdminScope), 404,
                    "not_found");
        }
        Endpoint patch = endpoint("PATCH", "/v1/workspaces/{workspace_id}");
        Endpoint status = endpoint("PATCH", "/v1/workspaces/{workspace_id}/status");
        findings.success(patch, "an atrium:workspaces:write service",
                call(patch, shared, Tokens.service("billing-service", WRITE)));
        findings.problem(status, "an atrium:workspaces:write service",
                call(status, shared, Tokens.service("billing-service", WRITE)), 403, "permission_denied");
        findings.success(status, "an atrium:admin service",
                call(status, shared, Tokens.service("billing-service", ADMIN)));
        findings.assertNone();
    }

    // ---------------------------------------------------------------- the table's rows

    record Endpoint(String method, String path, Reach reach, String minimumRole, boolean sessionOnly,
            Map<String, Object> body, Consumer<Fixture> precondition) {

        Endpoint body(Map<String, Object> value) {
            return new Endpoint(method, path, reach, minimumRole, sessionOnly, value, precondition);
        }

        Endpoint asSessionOnly() {
            return new Endpoint(method, path, reach, minimumRole, true, body, precondition);
        }

        Endpoint precondition(Consumer<Fixture> value) {
            return new Endpoint(method, path, reach, minimumRole, sessionOnly, body, value);
        }

        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    private static Endpoint anyone(String method, String path) {
        return new Endpoint(method, path, Reach.CALLER, null, false, null, null);
    }

    private static Endpoint workspace(String method, String path, String minimumRole) {
        return new Endpoint(method, path, Reach.WORKSPACE, minimumRole, false, null, null);
    }

    private static Endpoint organization(String method, String path, String minimumRole) {
        return new Endpoint(method, path, Reach.ORGANIZATION, minimumRole, false, null, null);
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

    /** An owner with a workspace (and its provisioning run) and/or an organization, plus a user to act on. */
    static final class Fixture {
        final String ownerId;
        final String owner;
        final String workspaceId;
        final String runId;
        final String organizationId;
        final String targetUserId;

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
            Map<String, Object> ws = withWorkspace ? Api.activeWorkspace(token) : Map.of();
            Map<String, Object> org = withOrganization ? Api.organization(token, "Security org") : Map.of();
            return new Fixture(ownerId, (String) ws.get("id"), (String) ws.get("provisioning_run_id"),
                    (String) org.get("id"), Tokens.unique("target"));
        }

        /** Well-formed ids of this cell that name nothing: the random tail is changed. */
        Fixture withMissingIds() {
            return new Fixture(ownerId, missing(workspaceId), missing(runId), missing(organizationId), targetUserId);
        }

        private static String missing(String id) {
            return id == null ? null : id.substring(0, id.length() - 6) + "000000";
        }

        void archived() {
            Api.as(owner).post("/v1/workspaces/" + workspaceId + "/archive").then().statusCode(200);
        }

        void targetJoinsOrganization() {
            Api.as(owner).body(Map.of("role", "member"))
                    .put("/v1/organizations/" + organizationId + "/members/" + targetUserId).then().statusCode(200);
        }

        String resolve(String template) {
            String path = template;
            path = fill(path, "{workspace_id}", workspaceId);
            path = fill(path, "{run_id}", runId);
            path = fill(path, "{org_id}", organizationId);
            path = fill(path, "{account_id}", organizationId);
            path = fill(path, "{user_id}", targetUserId);
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
            request.contentType(ContentType.JSON).body(new LinkedHashMap<>(e.body()));
        }
        return request.request(e.method(), f.resolve(e.path()));
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

        void problem(Endpoint e, String who, Response r, int status, String code) {
            String contentType = r.contentType();
            if (r.statusCode() != status || !code.equals(code(r)) || contentType == null
                    || !contentType.startsWith("application/problem+json")) {
                failures.add(e + " as " + who + ": expected " + status + " " + code + " (application/problem+json), got "
                        + describe(r));
            }
        }

        void success(Endpoint e, String who, Response r) {
            if (r.statusCode() < 200 || r.statusCode() > 299) {
                failures.add(e + " as " + who + ": expected 2xx, got " + describe(r));
            }
        }

        /** A refusal must not tell an existing id from a missing one. */
        void sameProblem(Endpoint e, String who, Response existing, Response missing) {
            for (String field : List.of("status", "code", "type", "title", "detail", "errors")) {
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

        private static String code(Response r) {
            Object code = field(r, "code");
            return code == null ? null : code.toString();
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
