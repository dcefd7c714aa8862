package dev.atrium.common;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.atrium.common.EndpointSecurityTest.Endpoint;
import dev.atrium.common.EndpointSecurityTest.Fixture;
import dev.atrium.support.Db;
import dev.atrium.support.RawHttp;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;

/**
 * An API key is confined to its own workspace by the route that was matched, whatever the spelling of the path. Every
 * operation of the published document that is not an operation of one workspace is reached from the key's own
 * workspace path through dot segments, encoded dot segments, {@code ..;}, doubled slashes and a trailing slash, and
 * must never answer 2xx, nor show another tenant's data, nor write anything.
 */
@QuarkusTest
class ApiKeyEscapeTest {

    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "patch");
    private static final String OWN_WORKSPACE_PREFIX = "/v1/workspaces/{workspace_id}";

    /** Spellings that resolve to the target once dot segments are removed: the router reaches the target method. */
    private static final List<String> RESOLVING_DOTS = List.of("..", "%2e%2e", ".%2e", "%2E%2E");

    @Inject
    Db db;

    @Test
    void aKeyNeverLeavesItsWorkspaceWhateverThePathSpelling() {
        Fixture mine = Fixture.create(true, false);
        Fixture stranger = Fixture.create(true, true);
        String key = mine.key(List.of("workspace:read", "workspace:update", "members:read", "billing:read",
                "audit:read", "export:read", "usage:read"));
        String strangerEmail = stranger.ownerId + "@example.com";
        String strangerName = "User " + stranger.ownerId;
        Map<String, Long> before = counts(stranger, mine);

        List<String> failures = new ArrayList<>();
        int operations = 0;
        for (String[] op : operations()) {
            String method = op[0];
            String template = op[1];
            if (template.startsWith(OWN_WORKSPACE_PREFIX + "/") || template.equals(OWN_WORKSPACE_PREFIX)) {
                continue;
            }
            operations++;
            String target = stranger.resolve(template);
            String body = body(method, template, stranger);
            String base = "/v1/workspaces/" + mine.workspaceId + "/";
            // The Astronomer and Recoup operations refuse in their own error shape, which names no code.
            String refusal = template.startsWith("/v1/") ? "\"api_key_not_allowed\""
                    : template.startsWith("/api/") ? "\"error\":403" : "\"statusCode\":403";
            for (String dots : RESOLVING_DOTS) {
                String path = base + dots + "/" + dots + "/" + dots + target;
                check(failures, method, path, key, body, strangerEmail, strangerName, refusal);
            }
            for (String path : List.of(base + "..;/..;/..;" + target, "/" + target, target.replaceFirst("^/v1/", "/v1//"),
                    base + "/../../.." + target, target + "/")) {
                check(failures, method, path, key, body, strangerEmail, strangerName, null);
            }
        }
        assertTrue(operations >= 20, "the document lists the operations outside a workspace: " + operations);
        assertTrue(failures.isEmpty(), failures.size() + " escape(s):\n  " + String.join("\n  ", failures));
        assertEquals(before, counts(stranger, mine), "rows written by refused requests");
        assertEquals(0, db.count("select count(*) from organization_members where user_id = $1", mine.keyId),
                "an API key was treated as a user");
    }

    @Test
    void aKeyReachesItsOwnWorkspaceButNoOtherThroughDotSegments() {
        Fixture mine = Fixture.create(true, false);
        Fixture other = Fixture.create(true, false);
        String key = mine.key(List.of("workspace:read"));
        RawHttp.Reply own = RawHttp.send("GET", "/v1/workspaces/" + other.workspaceId + "/../" + mine.workspaceId, key,
                null);
        assertEquals(200, own.status(), own.body());
        assertEquals(mine.workspaceId, new JsonObject(own.body()).getString("id"));
        RawHttp.Reply foreign = RawHttp.send("GET", "/v1/workspaces/" + mine.workspaceId + "/%2e%2e/" + other.workspaceId,
                key, null);
        assertEquals(404, foreign.status(), foreign.body());
        assertEquals("not_found", new JsonObject(foreign.body()).getString("code"));
        // A session-only operation of its own workspace, reached through another workspace's path.
        RawHttp.Reply keys = RawHttp.send("GET", "/v1/workspaces/" + other.workspaceId + "/../" + mine.workspaceId
                + "/api-keys", key, null);
        assertEquals(403, keys.status(), keys.body());
        assertEquals("api_key_not_allowed", new JsonObject(keys.body()).getString("code"));
    }

    /** {@code refusal}: for a spelling the router resolves to the target, what its 403 body must contain. */
    private static void check(List<String> failures, String method, String path, String key, String body,
            String strangerEmail, String strangerName, String refusal) {
        RawHttp.Reply reply = RawHttp.send(method, path, key, body);
        String what = method + " " + path + " -> " + reply.status() + " " + abbreviate(reply.body());
        if (reply.status() < 400 || reply.status() >= 500) {
            failures.add("expected a refusal: " + what);
            return;
        }
        if (reply.body().contains(strangerEmail) || reply.body().contains(strangerName)) {
            failures.add("another tenant's data: " + what);
        }
        if (refusal != null && (reply.status() != 403 || !reply.body().contains(refusal))) {
            failures.add("expected 403 (" + refusal + ") on the routed operation: " + what);
        }
    }

    /** Every (method, path template) of the document the service publishes. */
    private static List<String[]> operations() {
        Map<String, Map<String, Object>> paths = given().accept("application/json").get("/q/openapi").then()
                .statusCode(200).extract().jsonPath().getMap("paths");
        List<String[]> out = new ArrayList<>();
        paths.forEach((path, item) -> item.keySet().stream().filter(HTTP_METHODS::contains)
                .forEach(m -> out.add(new String[] { m.toUpperCase(), path })));
        return out;
    }

    /** A valid body where the operation takes one, so a refusal cannot come from validation. */
    private static String body(String method, String template, Fixture f) {
        for (Endpoint e : EndpointSecurityTest.ENDPOINTS) {
            if (e.method().equals(method) && e.path().equals(template) && e.body() != null) {
                Map<String, Object> resolved = new LinkedHashMap<>();
                e.body().forEach((name, value) -> resolved.put(name,
                        value instanceof String text && text.startsWith("{") ? f.resolve(text) : value));
                return new JsonObject(resolved).encode();
            }
        }
        return Set.of("POST", "PUT", "PATCH").contains(method) ? "{}" : null;
    }

    private Map<String, Long> counts(Fixture stranger, Fixture mine) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String table : List.of("organizations", "organization_members", "workspaces", "workspace_members",
                "invitations", "api_keys", "provisioning_runs")) {
            counts.put(table, db.count("select count(*) from " + table));
        }
        counts.put("events of the two workspaces", db.count(
                "select count(*) from events where workspace_id in ($1, $2)", stranger.workspaceId, mine.workspaceId));
        counts.put("events of the stranger's organization",
                db.count("select count(*) from events where organization_id = $1", stranger.organizationId));
        return counts;
    }

    private static String abbreviate(String body) {
        return body.length() > 200 ? body.substring(0, 200) + "..." : body;
    }
}
