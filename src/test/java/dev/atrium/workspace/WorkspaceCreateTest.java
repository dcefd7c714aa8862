package dev.atrium.workspace;

import static io.restassured.RestAssured.given;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import dev.atrium.support.Api;
import dev.atrium.support.Contract;
import dev.atrium.support.Db;
import dev.atrium.support.Parallel;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;

@QuarkusTest
class WorkspaceCreateTest {

    static final String TIMESTAMP = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z";

    @Inject
    Db db;

    @Test
    void createAnswers202WithMonitorAndLeavesRows() {
        String sub = Tokens.unique("ann");
        String token = Tokens.user(sub);
        Response r = Api.as(token).body(Map.of("description", "first")).post("/v1/workspaces");
        r.then().statusCode(202)
                .header("Location", matchesPattern("/v1/workspaces/ws_[0-9A-Za-z]{30}"))
                .header("Link", matchesPattern("</v1/provisioning-runs/run_[0-9A-Za-z]{30}>; rel=\"monitor\""))
                .header("Retry-After", "1")
                .body("object", equalTo("workspace"))
                .body("name", equalTo("Untitled"))
                .body("slug", equalTo("untitled"))
                .body("description", equalTo("first"))
                .body("status", equalTo("provisioning"))
                .body("region", equalTo("us-east-1"))
                .body("tenancy_model", equalTo("shared"))
                .body("billing_mode", equalTo("single"))
                .body("pooled_seat_limit", nullValue())
                .body("plan", equalTo("free"))
                .body("archived", equalTo(false))
                .body("settings.cicd_enforced_default", equalTo(false))
                .body("metadata.size()", equalTo(0))
                .body("organization_name", equalTo("Personal"))
                .body("created_at", matchesPattern(TIMESTAMP))
                .body("created_by.id", equalTo(sub))
                .body("created_by.subject_type", equalTo("USER"))
                .body("version", equalTo(0));
        String id = r.jsonPath().getString("id");
        String run = r.jsonPath().getString("provisioning_run_id");
        assertEquals(1, db.count("select count(*) from workspaces where id = $1 and status in ('provisioning','active')", id));
        assertEquals(1, db.count("select count(*) from workspace_members where workspace_id = $1 and user_id = $2"
                + " and role = 'owner'", id, sub));
        assertEquals(1, db.events(id, "workspace.created"));
        assertEquals(1, db.events(id, "member.added"));
        assertEquals(4, db.count("select count(*) from provisioning_steps where run_id = $1", run));

        // The run finishes on its own; the run and the environments are readable.
        await(() -> Api.as(token).get("/v1/workspaces/" + id).jsonPath().getString("status").equals("active"));
        Api.as(token).get("/v1/provisioning-runs/" + run).then().statusCode(200)
                .body("object", equalTo("provisioning_run"))
                .body("status", equalTo("succeeded"))
                .body("workspace_id", equalTo(id))
                .body("steps.name", equalTo(List.of("environments", "dataplane", "access", "activate")))
                .body("steps.status", equalTo(List.of("succeeded", "succeeded", "succeeded", "succeeded")))
                .body("steps[0].attempts", equalTo(1));
        Api.as(token).get("/v1/workspaces/" + id + "/environments").then().statusCode(200)
                .body("name", equalTo(List.of("dev", "staging", "prod")))
                .body("id[0]", startsWith("env_"))
                .body("status", everyItemEquals("ready"));
        assertEquals(1, db.events(id, "workspace.provisioned"));
        Api.as(Tokens.user(Tokens.unique("other"))).get("/v1/provisioning-runs/" + run).then().statusCode(404);
    }

    static org.hamcrest.Matcher<Iterable<? extends Object>> everyItemEquals(Object value) {
        return org.hamcrest.Matchers.everyItem(equalTo(value));
    }

    static void await(Callable<Boolean> condition) {
        long deadline = System.currentTimeMillis() + 10_000;
        try {
            while (!condition.call()) {
                if (System.currentTimeMillis() > deadline) {
                    throw new AssertionError("condition not met within 10 s");
                }
                Thread.sleep(50);
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void preferWaitAnswers201WhenActive() {
        String token = Tokens.user(Tokens.unique("wanda"));
        Api.as(token).header("Prefer", "wait=5").body(Map.of("name", "Waited", "billing_mode", "pooled"))
                .post("/v1/workspaces").then().statusCode(201)
                .header("Preference-Applied", "wait=5")
                .header("ETag", startsWith("\""))
                .body("status", equalTo("active"))
                .body("pooled_seat_limit", equalTo(5));
        Api.as(token).header("Prefer", "wait=999").body(Map.of()).post("/v1/workspaces").then().statusCode(201)
                .header("Preference-Applied", "wait=30");
    }

    @Test
    void everyFieldRuleIsChecked() {
        String sub = Tokens.unique("val");
        String token = Tokens.user(sub);
        Map<String, Object> tooManyKeys = new HashMap<>();
        for (int i = 0; i < 51; i++) {
            tooManyKeys.put("k" + i, "v");
        }
        Object[][] cases = {
                { Map.of("name", ""), "name" },
                { Map.of("name", "x".repeat(51)), "name" },
                { Map.of("description", "x".repeat(201)), "description" },
                { Map.of("slug", "Not_A_Slug"), "slug" },
                { Map.of("slug", "double--hyphen"), "slug" },
                { Map.of("slug", "x".repeat(51)), "slug" },
                { Map.of("tenancy_model", "private"), "tenancy_model" },
                { Map.of("billing_mode", "free"), "billing_mode" },
                { Map.of("pooled_seat_limit", 10), "pooled_seat_limit" },
                { Map.of("billing_mode", "pooled", "pooled_seat_limit", 0), "pooled_seat_limit" },
                { Map.of("metadata", tooManyKeys), "metadata" },
                { Map.of("metadata", Map.of("k".repeat(41), "v")), "metadata." + "k".repeat(41) },
                { Map.of("metadata", Map.of("k", "v".repeat(501))), "metadata.k" },
                { Map.of("settings", Map.of("dark_mode", true)), "settings.dark_mode" },
                { Map.of("owner", Map.of("user_id", "u", "email", "u@example.com")), "owner" },
        };
        for (Object[] c : cases) {
            Api.as(token).filter(Contract.invalidRequest()).body(c[0]).post("/v1/workspaces").then().statusCode(400)
                    .contentType("application/problem+json")
                    .body("code", equalTo("validation_failed"))
                    .body("errors.field", hasItem((String) c[1]));
        }
        assertEquals(0, db.count("select count(*) from workspace_members where user_id = $1", sub));
    }

    @Test
    void slugsAreGeneratedUniquelyAndAnExplicitClashIs409() {
        String token = Tokens.user(Tokens.unique("sam"));
        Api.as(token).body(Map.of("name", "Data Platform")).post("/v1/workspaces").then().statusCode(202)
                .body("slug", equalTo("data-platform"));
        Api.as(token).body(Map.of("name", "Data  Platform!")).post("/v1/workspaces").then().statusCode(202)
                .body("slug", equalTo("data-platform-2"));
        Api.as(token).body(Map.of("name", "Other", "slug", "data-platform")).post("/v1/workspaces").then()
                .statusCode(409).body("code", equalTo("conflict"));
    }

    @Test
    void twentyConcurrentCreatesWithOneSlugHaveOneWinner() throws Exception {
        String token = Tokens.user(Tokens.unique("race"));
        String org = Api.organization(token, "Race " + System.nanoTime()).get("id").toString();
        ExecutorService pool = Executors.newFixedThreadPool(20);
        List<Future<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int n = i;
            results.add(pool.submit(() -> Api.as(token)
                    .body(Map.of("name", "Racer " + n, "slug", "the-one", "organization_id", org))
                    .post("/v1/workspaces").statusCode()));
        }
        List<Integer> codes = new ArrayList<>();
        for (Future<Integer> f : results) {
            codes.add(f.get());
        }
        pool.shutdown();
        assertEquals(1, codes.stream().filter(c -> c == 202).count(), codes.toString());
        assertEquals(19, codes.stream().filter(c -> c == 409).count(), codes.toString());
        assertEquals(1, db.count("select count(*) from workspaces where organization_id = $1 and slug = 'the-one'", org));
        assertEquals(1, db.count("select count(*) from events e join workspaces w on w.id = e.workspace_id"
                + " where w.organization_id = $1 and e.type = 'workspace.created'", org));
    }

    @Test
    void organizationRules() {
        String ownerSub = Tokens.unique("olga");
        String owner = Tokens.user(ownerSub);
        String org = Api.organization(owner, "Acme " + System.nanoTime()).get("id").toString();
        Api.as(owner).body(Map.of("name", "In org")).post("/v1/organizations/" + org + "/workspaces").then()
                .statusCode(202).body("organization_id", equalTo(org));
        Api.as(owner).body(Map.of("account_id", org)).post("/v1/workspaces").then().statusCode(202)
                .header("Deprecation", "true").body("organization_id", equalTo(org));
        Api.as(owner).body(Map.of("account_id", org, "organization_id", "org_other")).post("/v1/workspaces").then()
                .statusCode(400).body("errors.field", hasItem("account_id"));

        String memberSub = Tokens.unique("mo");
        Api.as(owner).body(Map.of("role", "member")).put("/v1/organizations/" + org + "/members/" + memberSub).then()
                .statusCode(200);
        Api.as(Tokens.user(memberSub)).body(Map.of("organization_id", org)).post("/v1/workspaces").then()
                .statusCode(403).body("code", equalTo("permission_denied"));
        Api.as(Tokens.user(Tokens.unique("stranger"))).body(Map.of("organization_id", org)).post("/v1/workspaces")
                .then().statusCode(404).body("code", equalTo("not_found"));
    }

    @Test
    void servicesCreateOnBehalfOfAnOwner() {
        String ownerSub = Tokens.unique("client");
        String service = Tokens.service("provisioner", "atrium:workspaces:write");
        Api.as(service).body(Map.of("name", "For client")).post("/v1/workspaces").then().statusCode(400)
                .body("errors.field", hasItem("owner"));
        Response r = Api.as(service)
                .body(Map.of("name", "For client", "owner", Map.of("user_id", ownerSub, "email", ownerSub + "@example.com")))
                .post("/v1/workspaces");
        r.then().statusCode(202).body("created_by.subject_type", equalTo("SERVICE"))
                .body("created_by.id", equalTo("provisioner"))
                .body("organization_name", equalTo("Personal"));
        String id = r.jsonPath().getString("id");
        assertEquals("owner", db.rows("select role from workspace_members where workspace_id = $1 and user_id = $2",
                id, ownerSub).get(0).getString(0));
        Api.as(Tokens.user(ownerSub)).get("/v1/workspaces/" + id).then().statusCode(200);
        Api.as(Tokens.service("billing-service", "atrium:workspaces:read"))
                .body(Map.of("owner", Map.of("user_id", ownerSub, "email", ownerSub + "@example.com")))
                .post("/v1/workspaces").then().statusCode(403);
    }

    @Test
    void regionRouting() {
        String token = Tokens.user(Tokens.unique("rita"));
        Api.as(token).body(Map.of("region", "eu-west-1")).redirects().follow(false).post("/v1/workspaces").then()
                .statusCode(307)
                .header("Location", "http://eu-west-1.atrium.test/v1/workspaces")
                .header("X-Atrium-Region", "eu-west-1")
                .body("code", equalTo("wrong_region"))
                .body("region", equalTo("eu-west-1"))
                .body("location", equalTo("http://eu-west-1.atrium.test/v1/workspaces"));
        Api.as(token).body(Map.of("region", "mars-1")).post("/v1/workspaces").then().statusCode(422)
                .body("code", equalTo("unknown_region"))
                .body("known_regions", hasItems("us-east-1", "eu-west-1", "ap-southeast-2"));
        Api.as(token).body(Map.of("region", "us-east-1")).post("/v1/workspaces").then().statusCode(202);
        given().header("Authorization", "Bearer " + token).get("/v1/regions").then().statusCode(200)
                .body("region", equalTo(List.of("ap-southeast-2", "eu-west-1", "us-east-1")))
                .body("find { it.current }.region", equalTo("us-east-1"))
                .body("find { it.region == 'eu-west-1' }.base_url", equalTo("http://eu-west-1.atrium.test"));
    }

    @Test
    void idsOfOtherCellsRedirectAndUnknownOnesAre404() {
        String token = Tokens.user(Tokens.unique("ivan"));
        String eu = "ws_" + dev.atrium.common.id.Ids.cellCode("eu-west-1") + "0".repeat(26);
        Api.as(token).redirects().follow(false).get("/v1/workspaces/" + eu + "?x=1").then().statusCode(307)
                .header("Location", "http://eu-west-1.atrium.test/v1/workspaces/" + eu + "?x=1")
                .body("code", equalTo("wrong_region"));
        Api.as(token).redirects().follow(false).body(Map.of("name", "x")).patch("/v1/workspaces/" + eu).then()
                .statusCode(307);
        String unknownCell = "ws_" + "zzzz" + "0".repeat(26);
        assertThat(dev.atrium.common.id.Ids.cellCode("us-east-1").equals("zzzz")
                || dev.atrium.common.id.Ids.cellCode("eu-west-1").equals("zzzz"), equalTo(false));
        Api.as(token).get("/v1/workspaces/" + unknownCell).then().statusCode(404).body("code", equalTo("not_found"));
        Api.as(token).get("/v1/workspaces/not-an-id").then().statusCode(404);
        Api.as(token).get("/v1/provisioning-runs/run_nope").then().statusCode(404);
        Api.as(token).get("/v1/workspaces/" + unknownCell.replace("zzzz", dev.atrium.common.id.Ids.cellCode("us-east-1")))
                .then().statusCode(404).body("code", anyOf(equalTo("not_found")));
    }

    @Test
    void aUserJoinsAtMostTheConfiguredNumberOfWorkspaces() {
        String sub = Tokens.unique("joiner");
        String token = Tokens.user(sub);
        String org = Api.organization(token, "Many " + System.nanoTime()).get("id").toString();
        // 202 while the user has room, 403 limit_exceeded once they would be past it.
        java.util.function.IntConsumer create = status -> {
            var answer = Api.as(token).body(Map.of("organization_id", org)).post("/v1/workspaces").then()
                    .statusCode(status);
            if (status == 403) {
                answer.body("code", equalTo("limit_exceeded"));
            }
        };
        db.rows("insert into workspaces (id, organization_id, name, slug, region, tenancy_model, status, billing_mode,"
                + " plan, settings, metadata, created_at, updated_at, created_by, updated_by)"
                + " select 'ws_lim' || g || substr(md5(random()::text), 1, 8), $1, 'w' || g, 'lim-' || g, 'us-east-1',"
                + " 'shared', 'active', 'single', 'free', '{}', '{}', now(), now(), '{}', '{}'"
                + " from generate_series(1, 99) g", org);
        db.rows("insert into workspace_members (id, workspace_id, user_id, role, joined_at)"
                + " select 'mem_' || md5(w.id), w.id, $2, 'owner', now() from workspaces w"
                + " where w.organization_id = $1", org, sub);
        create.accept(202);
        create.accept(403);
        assertEquals(100, db.count("select count(*) from workspace_members where user_id = $1", sub));
        // A deleted workspace no longer counts: one place is free again, and only one.
        db.rows("update workspaces set status = 'deleted', deleted_at = now() where id = (select id from workspaces"
                + " where organization_id = $1 and id like 'ws_lim%' order by id limit 1)", org);
        create.accept(202);
        create.accept(403);
        assertEquals(101, db.count("select count(*) from workspace_members where user_id = $1", sub));
        // Restored, it counts again (101 live: over the limit); two more deleted leave room for exactly one.
        db.rows("update workspaces set status = 'active', deleted_at = null where organization_id = $1"
                + " and status = 'deleted'", org);
        create.accept(403);
        db.rows("update workspaces set status = 'deleted', deleted_at = now() where id in (select id from workspaces"
                + " where organization_id = $1 and id like 'ws_lim%' order by id limit 2)", org);
        create.accept(202);
        create.accept(403);
        assertEquals(102, db.count("select count(*) from workspace_members where user_id = $1", sub));
        // The count the check reads (V12) is the user's live memberships, kept through every change above.
        assertEquals(100, db.count("select live from user_join_counts where user_id = $1", sub));
        db.rows("delete from workspace_members where user_id = $1 and workspace_id in (select id from workspaces"
                + " where organization_id = $2 and status <> 'deleted' order by id limit 3)", sub, org);
        assertEquals(97, db.count("select live from user_join_counts where user_id = $1", sub));
    }
    /**
     * Parallel creates by one user near the limit: each holds the lock of the user's count from the moment its
     * membership is written and reads the count with what committed before, so exactly the free places are taken,
     * whatever the interleaving.
     */
    @Test
    void parallelCreatesNeverPassTheJoinLimit() throws Exception {
        String sub = Tokens.unique("rush");
        String token = Tokens.user(sub);
        String org = Api.organization(token, "Rush " + System.nanoTime()).get("id").toString();
        db.rows("insert into workspaces (id, organization_id, name, slug, region, tenancy_model, status, billing_mode,"
                + " plan, settings, metadata, created_at, updated_at, created_by, updated_by)"
                + " select 'ws_rush' || g || substr(md5(random()::text), 1, 8), $1, 'w' || g, 'rush-' || g,"
                + " 'us-east-1', 'shared', 'active', 'single', 'free', '{}', '{}', now(), now(), '{}', '{}'"
                + " from generate_series(1, 95) g", org);
        db.rows("insert into workspace_members (id, workspace_id, user_id, role, joined_at)"
                + " select 'mem_' || md5(w.id), w.id, $2, 'owner', now() from workspaces w"
                + " where w.organization_id = $1", org, sub);
        List<Callable<Response>> calls = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            // Names of their own: creates of one slug would wait for each other on its unique index instead.
            Map<String, Object> body = Map.of("organization_id", org, "name", "Rush " + i);
            calls.add(() -> Api.as(token).body(body).post("/v1/workspaces"));
        }
        var answers = Parallel.all(calls);
        assertEquals(5, answers.stream().filter(r -> r.statusCode() == 202).count(), "creates answered 202");
        assertEquals(11, answers.stream().filter(r -> r.statusCode() == 403
                && "limit_exceeded".equals(r.jsonPath().getString("code"))).count(), "creates refused");
        assertEquals(100, db.count("select count(*) from workspace_members where user_id = $1", sub));
        assertEquals(100, db.count("select count(*) from workspaces where organization_id = $1", org));
        assertEquals(100, db.count("select live from user_join_counts where user_id = $1", sub));
    }
}
