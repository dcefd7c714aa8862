package dev.atrium.cell;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.atrium.common.id.Ids;
import dev.atrium.support.Api;
import dev.atrium.support.Db;
import dev.atrium.support.Metrics;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import jakarta.inject.Inject;

/**
 * This cell (us-east-1) with its two test peers unreachable: what needs an organization's home cell fails closed
 * with 503 {@code cell_unavailable} and writes nothing, lists across regions still answer with what this cell has,
 * and everything local keeps working.
 */
@QuarkusTest
class CrossCellTest {

    static final Pattern NEXT = Pattern.compile("<([^>]+)>; rel=\"next\"");

    @Inject
    Db db;

    static String peerOrganizationId(String region) {
        return Ids.generate("org", Ids.cellCode(region));
    }

    long workspacesOf(String organizationId) {
        return db.count("select count(*) from workspaces where organization_id = $1", organizationId);
    }

    @Test
    void createForAnOrganizationHomedInAnUnreachableCellFailsClosed() {
        String sub = Tokens.unique("cc");
        String token = Tokens.user(sub);
        String org = peerOrganizationId("eu-west-1");
        long events = db.count("select count(*) from events where actor->>'id' = $1", sub);

        Api.as(token).body(Map.of("name", "Far", "organization_id", org)).post("/v1/workspaces").then()
                .statusCode(503)
                .contentType("application/problem+json")
                .header("Retry-After", matchesPattern("[1-9][0-9]*"))
                .body("code", equalTo("cell_unavailable"))
                .body("status", equalTo(503))
                .body("region", equalTo("eu-west-1"));
        Api.as(token).body(Map.of("name", "Far")).header("Idempotency-Key", Tokens.unique("k"))
                .post("/v1/organizations/" + org + "/workspaces").then()
                .statusCode(503).header("Retry-After", matchesPattern("[1-9][0-9]*"))
                .body("code", equalTo("cell_unavailable"));

        assertEquals(0, workspacesOf(org));
        assertEquals(0, db.count("select count(*) from organizations where id = $1", org), "no reference row");
        assertEquals(0, db.count("select count(*) from workspace_members where user_id = $1", sub));
        assertEquals(events, db.count("select count(*) from events where actor->>'id' = $1", sub));
        assertEquals(0, db.count("select count(*) from idempotency_keys where principal = $1", "user:" + sub));
    }

    @Test
    void aReferenceRowAlreadyHereDoesNotBypassTheHomeCell() {
        String token = Tokens.user(Tokens.unique("ref"));
        String org = peerOrganizationId("ap-southeast-2");
        String slug = "shared-slug-" + System.nanoTime();
        // A local organization and a reference to one homed elsewhere may carry the same slug (V6).
        Api.as(token).body(Map.of("name", "Local", "slug", slug)).post("/v1/organizations").then().statusCode(201);
        db.rows("insert into organizations (id, name, slug, personal, home_region, created_at, updated_at,"
                + " created_by, updated_by, reference) values ($1, 'Far', $2, false, 'ap-southeast-2', now(), now(),"
                + " '{\"id\":\"system\"}', '{\"id\":\"system\"}', true)", org, slug);

        Api.as(token).body(Map.of("organization_id", org)).post("/v1/workspaces").then().statusCode(503)
                .body("code", equalTo("cell_unavailable")).body("region", equalTo("ap-southeast-2"));
        assertEquals(0, workspacesOf(org));
        // The organization itself is still served by its home only.
        Api.as(token).redirects().follow(false).get("/v1/organizations/" + org).then().statusCode(307)
                .header("Location", "http://ap-southeast-2.atrium.test/v1/organizations/" + org);
        // References are not this cell's organizations: not in anybody's list here.
        Api.as(Tokens.platformAdmin(Tokens.unique("pa"))).get("/v1/organizations?limit=1000").then().statusCode(200)
                .body("id", not(hasItem(org)));
        // A slug clash among this cell's own organizations is still a conflict.
        Api.as(token).body(Map.of("name", "Again", "slug", slug)).post("/v1/organizations").then().statusCode(409)
                .body("code", equalTo("conflict"));
    }

    @Test
    void theCircuitOpensAndThenFailsFast() {
        String token = Tokens.user(Tokens.unique("brk"));
        String org = peerOrganizationId("eu-west-1");
        for (int i = 0; i < 6; i++) {
            Api.as(token).body(Map.of("organization_id", org)).post("/v1/workspaces").then().statusCode(503)
                    .body("code", equalTo("cell_unavailable"));
        }
        String metrics = Api.management().get("/q/metrics").asString();
        assertTrue(metrics.contains("atrium_cell_peer_breaker{region=\"eu-west-1\"} 1.0"), metrics.lines()
                .filter(l -> l.startsWith("atrium_cell_peer")).toList().toString());
        double before = shortCircuited(metrics);
        Response fast = Api.as(token).body(Map.of("organization_id", org)).post("/v1/workspaces");
        fast.then().statusCode(503).body("code", equalTo("cell_unavailable"));
        long retryAfter = Long.parseLong(fast.header("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 30, "the rest of the open period: " + retryAfter);
        assertEquals(before + 1, shortCircuited(Api.management().get("/q/metrics").asString()),
                "refused by the open circuit, no call made");
        assertEquals(0, workspacesOf(org));

        // Everything local keeps working: the personal organization, and an organization of this cell.
        Api.as(token).body(Map.of("name", "Home")).post("/v1/workspaces").then().statusCode(202)
                .body("organization_name", equalTo("Personal"));
        String local = Api.organization(token, "Local org " + System.nanoTime()).get("id").toString();
        Api.as(token).body(Map.of("organization_id", local)).post("/v1/workspaces").then().statusCode(202)
                .body("organization_id", equalTo(local));
    }

    static double shortCircuited(String metrics) {
        return Metrics.sum(metrics, l -> l.startsWith("atrium_cell_peer_calls_total{")
                && l.contains("outcome=\"short_circuited\"") && l.contains("region=\"eu-west-1\""));
    }

    @Test
    void listAcrossRegionsAnswersWithWhatThisCellHasAndNamesTheMissingRegions() {
        String token = Tokens.user(Tokens.unique("all"));
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            created.add(0, Api.activeWorkspace(token, Map.of("name", "All " + i)).get("id").toString());
        }
        Response r = Api.as(token).get("/v1/workspaces?regions=all");
        r.then().statusCode(200)
                .header("X-Atrium-Unreachable-Regions", "ap-southeast-2,eu-west-1")
                .header("Link", nullValue())
                .body("region", equalTo(List.of("us-east-1", "us-east-1", "us-east-1")));
        assertEquals(created, ids(r), "newest first, as the local list");

        // Paging by a composite cursor that keeps the filter and the regions.
        List<String> seen = new ArrayList<>();
        String url = "/v1/workspaces?regions=all&limit=2&sort=-created_at";
        int pages = 0;
        while (url != null) {
            Response page = Api.as(token).get(url);
            page.then().statusCode(200).header("X-Atrium-Unreachable-Regions", "ap-southeast-2,eu-west-1");
            seen.addAll(ids(page));
            String link = page.header("Link");
            url = null;
            if (link != null) {
                Matcher m = NEXT.matcher(link);
                assertTrue(m.find(), link);
                url = m.group(1);
                assertTrue(url.contains("regions=all"), url);
            }
            pages++;
        }
        assertEquals(created, seen);
        assertEquals(2, pages);

        // Filters apply in every region; a region filter asks only that region.
        Response byRegion = Api.as(token).queryParam("q", "All 1")
                .get("/v1/workspaces?regions=all&region=us-east-1");
        byRegion.then().statusCode(200).header("X-Atrium-Unreachable-Regions", nullValue());
        assertEquals(List.of(created.get(1)), ids(byRegion));
        Api.as(token).get("/v1/workspaces?regions=all&region=eu-west-1").then().statusCode(200)
                .header("X-Atrium-Unreachable-Regions", "eu-west-1").body("size()", equalTo(0));

        // Without regions=all nothing changes, and no peer is named.
        Api.as(token).get("/v1/workspaces").then().statusCode(200)
                .header("X-Atrium-Unreachable-Regions", nullValue());
        // Nothing from a fan-out is stored.
        assertEquals(0, db.count("select count(*) from workspaces where region <> 'us-east-1'"));
    }

    @Test
    void regionsTakesOnlyAllAndItsCursorsAreItsOwn() {
        String token = Tokens.user(Tokens.unique("rgv"));
        Api.activeWorkspace(token);
        Api.activeWorkspace(token);
        Api.as(token).get("/v1/workspaces?regions=eu-west-1").then().statusCode(400)
                .body("code", equalTo("validation_failed"))
                .body("errors.field", hasItem("regions"));
        String org = Api.organization(token, "Org " + System.nanoTime()).get("id").toString();
        Api.as(token).get("/v1/organizations/" + org + "/workspaces?regions=all").then().statusCode(400)
                .body("errors.field", hasItem("regions"));
        String local = Api.as(token).get("/v1/workspaces?limit=1").header("Link");
        assertNotNull(local);
        Matcher m = NEXT.matcher(local);
        assertTrue(m.find());
        String localCursor = m.group(1).replaceAll(".*cursor=", "");
        Api.as(token).get("/v1/workspaces?regions=all&cursor=" + localCursor).then().statusCode(400)
                .body("code", equalTo("invalid_cursor"));
        String all = Api.as(token).get("/v1/workspaces?regions=all&limit=1").header("Link");
        Matcher n = NEXT.matcher(all);
        assertTrue(n.find());
        String allCursor = n.group(1).replaceAll(".*cursor=", "");
        Api.as(token).get("/v1/workspaces?cursor=" + allCursor).then().statusCode(400)
                .body("code", equalTo("invalid_cursor"));
        Api.as(token).get("/v1/workspaces?regions=all&sort=name&cursor=" + allCursor).then().statusCode(400)
                .body("code", equalTo("invalid_cursor"));
        RestAssured.given().get("/v1/workspaces?regions=all").then().statusCode(401);
    }

    @Test
    void servicesNeedTheirScopeBeforeAnyPeerIsAsked() {
        String org = peerOrganizationId("eu-west-1");
        Api.as(Tokens.service("billing-service", "atrium:workspaces:read"))
                .body(Map.of("organization_id", org, "owner", Map.of("user_id", "u-1", "email", "u1@example.com")))
                .post("/v1/workspaces").then().statusCode(403).body("code", equalTo("permission_denied"));
        assertEquals(0, workspacesOf(org));
    }

    static List<String> ids(Response r) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> w : Api.list(r)) {
            out.add((String) w.get("id"));
        }
        return out;
    }
}
