package dev.atrium.organization;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.atrium.common.id.Ids;
import dev.atrium.support.Api;
import dev.atrium.support.Contract;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.inject.Inject;

/**
 * The organization endpoints as a client sees them: status, headers, bodies, and the rows and events each request
 * leaves behind. Every test makes its own users, so none depends on another's data.
 */
@QuarkusTest
class OrganizationApiTest {

    private static final Pattern TIMESTAMP = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z");
    private static final Pattern ORG_ID = Pattern.compile("org_[0-9A-Za-z]{30}");
    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>;\\s*rel=\"next\"");
    private static final String HOME_REGION = "us-east-1";
    private static final String PEER_REGION = "eu-west-1";
    private static final String PEER_BASE_URL = "http://eu-west-1.atrium.test";
    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final String MERGE_PATCH = "application/merge-patch+json";

    @Inject
    Db db;

    record User(String id, String token) {
        static User fresh(String label) {
            String id = Tokens.unique(label);
            return new User(id, Tokens.user(id));
        }

        RequestSpecification api() {
            return Api.as(token);
        }
    }

    // ---------------------------------------------------------------- POST /v1/organizations

    @Test
    void createAnswers201WithLocationBodyAndRows() {
        User alice = User.fresh("alice");
        String name = "Acme " + alice.id();

        Response r = alice.api().header("Request-Id", "req-create-" + alice.id())
                .body(Map.of("name", name)).post("/v1/organizations");

        assertEquals(201, r.statusCode(), r.asString());
        assertTrue(r.contentType().startsWith("application/json"), r.contentType());
        JsonPath j = r.jsonPath();
        String id = j.getString("id");
        assertTrue(ORG_ID.matcher(id).matches(), id);
        assertEquals(Ids.cellCode(HOME_REGION), id.substring(4, 8), "the id names its home cell");
        assertLocation("/v1/organizations/" + id, r.header("Location"));
        assertEquals("req-create-" + alice.id(), r.header("Request-Id"));
        assertEquals(HOME_REGION, r.header("X-Atrium-Region"));

        assertEquals("organization", j.getString("object"));
        assertEquals(name, j.getString("name"));
        assertEquals(("acme-" + alice.id()).toLowerCase(), j.getString("slug"));
        assertEquals(Boolean.FALSE, j.get("personal"));
        assertEquals(HOME_REGION, j.getString("region"));
        assertTimestamp(j.getString("created_at"));
        assertEquals(j.getString("created_at"), j.getString("updated_at"));
        Map<String, Object> createdBy = j.getMap("created_by");
        assertEquals(alice.id(), createdBy.get("id"));
        assertEquals("USER", createdBy.get("subject_type"));
        assertEquals("User " + alice.id(), createdBy.get("name"));
        assertEquals(alice.id() + "@example.com", createdBy.get("email"));
        Map<String, Object> body = j.getMap("");
        for (String camel : List.of("createdAt", "updatedAt", "createdBy", "updatedBy", "homeRegion",
                "personalOwner")) {
            assertFalse(body.containsKey(camel), "no camelCase field " + camel + " in " + body.keySet());
        }

        Row row = db.rows("select name, slug, personal, personal_owner, home_region, created_by->>'id',"
                + " created_by->>'subject_type' from organizations where id = $1", id).get(0);
        assertEquals(name, row.getString(0));
        assertEquals(j.getString("slug"), row.getString(1));
        assertFalse(row.getBoolean(2));
        assertNull(row.getString(3));
        assertEquals(HOME_REGION, row.getString(4));
        assertEquals(alice.id(), row.getString(5));
        assertEquals("USER", row.getString(6));

        List<Row> members = db.rows("select user_id, role, email, name from organization_members"
                + " where organization_id = $1", id);
        assertEquals(1, members.size());
        assertEquals(alice.id(), members.get(0).getString(0));
        assertEquals("owner", members.get(0).getString(1));
        assertEquals(alice.id() + "@example.com", members.get(0).getString(2));
        assertEquals("User " + alice.id(), members.get(0).getString(3));

        List<Row> events = db.rows("select type, actor_id, resource_type, resource_id, workspace_id, request_id,"
                + " before is null, after->>'id', after->>'name' from events where organization_id = $1", id);
        assertEquals(1, events.size());
        Row e = events.get(0);
        assertEquals("organization.created", e.getString(0));
        assertEquals(alice.id(), e.getString(1));
        assertEquals("organization", e.getString(2));
        assertEquals(id, e.getString(3));
        assertNull(e.getString(4));
        assertEquals("req-create-" + alice.id(), e.getString(5));
        assertTrue(e.getBoolean(6));
        assertEquals(id, e.getString(7));
        assertEquals(name, e.getString(8));
    }

    @Test
    void createTimestampsHaveSixFractionDigitsAndAgreeWithLaterGet() {
        User alice = User.fresh("alice");
        JsonPath created = alice.api().body(Map.of("name", "Clock " + alice.id())).post("/v1/organizations")
                .then().statusCode(201).extract().jsonPath();
        String id = created.getString("id");
        assertTimestamp(created.getString("created_at"));
        assertTimestamp(created.getString("updated_at"));

        JsonPath read = alice.api().get("/v1/organizations/" + id).then().statusCode(200).extract().jsonPath();
        assertEquals(created.getString("created_at"), read.getString("created_at"));
        assertEquals(created.getString("updated_at"), read.getString("updated_at"));
        assertEquals(created.getMap(""), read.getMap(""), "a POST body and a later GET agree");

        Instant stored = db.rows("select created_at from organizations where id = $1", id).get(0)
                .getOffsetDateTime(0).toInstant();
        assertEquals(Instant.parse(created.getString("created_at")), stored);
    }

    @Test
    void slugIsGeneratedFromTheNameAndSuffixedOnClash() {
        User alice = User.fresh("alice");
        String name = "Café Zürich  " + alice.id() + "!";
        String base = "cafe-zurich-" + alice.id().toLowerCase();

        String first = alice.api().body(Map.of("name", name)).post("/v1/organizations")
                .then().statusCode(201).extract().path("slug");
        String second = alice.api().body(Map.of("name", name)).post("/v1/organizations")
                .then().statusCode(201).extract().path("slug");
        String third = User.fresh("bob").api().body(Map.of("name", name)).post("/v1/organizations")
                .then().statusCode(201).extract().path("slug");

        assertEquals(base, first);
        assertEquals(base + "-2", second);
        assertEquals(base + "-3", third, "slugs are unique across users");
        assertEquals(3, db.count("select count(*) from organizations where slug in ($1, $2, $3)", base, base + "-2",
                base + "-3"));
    }

    @Test
    void explicitSlugIsTakenAsIsAndATakenSlugIs409Conflict() {
        User alice = User.fresh("alice");
        User bob = User.fresh("bob");
        String slug = "taken-" + alice.id().toLowerCase();

        Response ok = alice.api().body(Map.of("name", "First", "slug", slug)).post("/v1/organizations");
        assertEquals(201, ok.statusCode(), ok.asString());
        assertEquals(slug, ok.path("slug"));

        Response clash = bob.api().body(Map.of("name", "Second", "slug", slug)).post("/v1/organizations");
        problem(clash, 409, "conflict", "/v1/organizations");
        assertEquals(1, db.count("select count(*) from organizations where slug = $1", slug));
        assertEquals(0, db.count("select count(*) from organization_members where user_id = $1", bob.id()));
        assertEquals(0, db.count("select count(*) from events where actor_id = $1", bob.id()),
                "a refused create writes no event");
    }

    static Stream<Arguments> invalidCreateBodies() {
        String fiftyOne = "n".repeat(51);
        return Stream.of(
                Arguments.of("{}", List.of("name")),
                Arguments.of("{\"name\":null}", List.of("name")),
                Arguments.of("{\"name\":\"\"}", List.of("name")),
                Arguments.of("{\"name\":\"   \"}", List.of("name")),
                Arguments.of("{\"name\":\"" + fiftyOne + "\"}", List.of("name")),
                Arguments.of("{\"name\":\"Ok\",\"slug\":\"Bad_Slug\"}", List.of("slug")),
                Arguments.of("{\"name\":\"Ok\",\"slug\":\"-leading\"}", List.of("slug")),
                Arguments.of("{\"name\":\"Ok\",\"slug\":\"double--hyphen\"}", List.of("slug")),
                Arguments.of("{\"name\":\"Ok\",\"slug\":\"trailing-\"}", List.of("slug")),
                Arguments.of("{\"name\":\"Ok\",\"slug\":\"\"}", List.of("slug")),
                Arguments.of("{\"name\":\"Ok\",\"slug\":\"" + "s".repeat(51) + "\"}", List.of("slug")),
                Arguments.of("{\"name\":\"  \",\"slug\":\"UPPER\"}", List.of("name", "slug")),
                Arguments.of("{\"name\":123}", List.of("name")),
                Arguments.of("[]", List.of("body")));
    }

    @ParameterizedTest
    @MethodSource("invalidCreateBodies")
    void invalidCreateIs400ValidationFailedNamingEachField(String body, List<String> fields) {
        User alice = User.fresh("alice");
        Response r = alice.api().filter(Contract.invalidRequest()).body(body).post("/v1/organizations");
        JsonPath p = problem(r, 400, "validation_failed", "/v1/organizations");
        assertEquals(fields, p.getList("errors.field"));
        for (Object message : p.getList("errors.message")) {
            assertFalse(String.valueOf(message).isBlank());
        }
        assertEquals(0, db.count("select count(*) from organization_members where user_id = $1", alice.id()));
    }

    @Test
    void nameOfExactlyFiftyCharactersIsAccepted() {
        User alice = User.fresh("alice");
        String name = (alice.id() + "x".repeat(50)).substring(0, 50);
        Response r = alice.api().body(Map.of("name", name)).post("/v1/organizations");
        assertEquals(201, r.statusCode(), r.asString());
        assertEquals(name, r.path("name"));
    }

    @Test
    void unknownFieldIs400() {
        User alice = User.fresh("alice");
        Response r = alice.api().filter(Contract.invalidRequest()).body("{\"name\":\"Acme\",\"nickname\":\"acme\"}").post("/v1/organizations");
        JsonPath p = problem(r, 400, "validation_failed", "/v1/organizations");
        assertEquals(List.of("nickname"), p.getList("errors.field"));
        assertEquals(0, db.count("select count(*) from organization_members where user_id = $1", alice.id()));
    }

    @Test
    void readOnlyFieldOnCreateIs400() {
        User alice = User.fresh("alice");
        Response r = alice.api().filter(Contract.invalidRequest()).body("{\"name\":\"Acme\",\"personal\":true}").post("/v1/organizations");
        JsonPath p = problem(r, 400, "validation_failed", "/v1/organizations");
        assertEquals(List.of("personal"), p.getList("errors.field"));
    }

    @Test
    void malformedJsonIs400MalformedJson() {
        User alice = User.fresh("alice");
        Response r = alice.api().filter(Contract.invalidRequest()).body("{\"name\": \"Acme\"").post("/v1/organizations");
        problem(r, 400, "malformed_json", "/v1/organizations");
        assertFalse(r.asString().contains("Exception"), r.asString());
        assertFalse(r.asString().contains("jackson"), r.asString());
        assertEquals(0, db.count("select count(*) from organization_members where user_id = $1", alice.id()));
    }

    @Test
    void servicePrincipalCannotCreateAnOrganization() {
        String service = Tokens.service("provisioner", "atrium:workspaces:write atrium:admin");
        Response r = Api.as(service).body(Map.of("name", "By a service " + System.nanoTime()))
                .post("/v1/organizations");
        problem(r, 403, "permission_denied", "/v1/organizations");
        assertEquals(0, db.count("select count(*) from organizations where created_by->>'id' = $1", "provisioner"));
    }

    // Fails while idempotency/Idempotency stores response_headers double-encoded (a String bound to
    // cast(:hd as jsonb) becomes a JSON string), so every replay answers 500 "stored headers unreadable".
    @Test
    void idempotencyKeyReplaysTheFirstResponse() {
        User alice = User.fresh("alice");
        String key = "key-" + alice.id();
        Map<String, Object> body = Map.of("name", "Once " + alice.id());

        Response first = alice.api().header("Idempotency-Key", key).body(body).post("/v1/organizations");
        assertEquals(201, first.statusCode(), first.asString());
        assertNull(first.header("Idempotent-Replayed"));
        String id = first.path("id");

        Response again = alice.api().header("Idempotency-Key", key).body(body).post("/v1/organizations");
        assertEquals(201, again.statusCode(), again.asString());
        assertEquals("true", again.header("Idempotent-Replayed"));
        assertEquals(first.header("Location"), again.header("Location"));
        assertTrue(again.contentType().startsWith("application/json"), again.contentType());
        assertEquals(first.jsonPath().getMap(""), again.jsonPath().getMap(""));

        assertEquals(1, db.count("select count(*) from organizations where created_by->>'id' = $1", alice.id()));
        assertEquals(List.of("organization.created"), eventTypes(id));
    }

    // Fails while idempotency/Idempotency stores response_headers double-encoded (a String bound to
    // cast(:hd as jsonb) becomes a JSON string), so every replay answers 500 "stored headers unreadable".
    @Test
    void idempotencyKeyWithADifferentBodyIs422() {
        User alice = User.fresh("alice");
        String key = "key-" + alice.id();
        Response first = alice.api().header("Idempotency-Key", key).body(Map.of("name", "One " + alice.id()))
                .post("/v1/organizations");
        assertEquals(201, first.statusCode(), first.asString());

        Response reused = alice.api().header("Idempotency-Key", key).body(Map.of("name", "Two " + alice.id()))
                .post("/v1/organizations");
        problem(reused, 422, "idempotency_key_reused", "/v1/organizations");
        assertNull(reused.header("Idempotent-Replayed"));
        assertEquals(1, db.count("select count(*) from organizations where created_by->>'id' = $1", alice.id()));

        // the original request still replays after the refusal
        Response replay = alice.api().header("Idempotency-Key", key).body(Map.of("name", "One " + alice.id()))
                .post("/v1/organizations");
        assertEquals(201, replay.statusCode(), replay.asString());
        assertEquals("true", replay.header("Idempotent-Replayed"));
        assertEquals((String) first.path("id"), replay.path("id"));
    }

    @Test
    void idempotencyKeyIsScopedToThePrincipal() {
        User alice = User.fresh("alice");
        User bob = User.fresh("bob");
        String key = "shared-" + alice.id();
        Map<String, Object> body = Map.of("name", "Shared " + alice.id());

        String a = alice.api().header("Idempotency-Key", key).body(body).post("/v1/organizations")
                .then().statusCode(201).extract().path("id");
        Response b = bob.api().header("Idempotency-Key", key).body(body).post("/v1/organizations");
        assertEquals(201, b.statusCode(), b.asString());
        assertNull(b.header("Idempotent-Replayed"));
        assertNotEquals(a, b.path("id"));
        assertEquals(bob.id(), b.path("created_by.id"));
    }

    // ---------------------------------------------------------------- GET /v1/organizations

    @Test
    void personalOrganizationIsCreatedOnFirstUseExactlyOnceUnderParallelCalls() throws Exception {
        User carol = User.fresh("carol");
        assertEquals(0, db.count("select count(*) from organizations where personal_owner = $1", carol.id()));

        int parallel = 10;
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Response>> calls = new ArrayList<>();
        try {
            for (int i = 0; i < parallel; i++) {
                Callable<Response> call = () -> {
                    start.await();
                    return carol.api().get("/v1/organizations");
                };
                calls.add(pool.submit(call));
            }
            start.countDown();
            Set<String> ids = new HashSet<>();
            for (Future<Response> f : calls) {
                Response r = f.get(60, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.asString());
                List<Map<String, Object>> orgs = Api.list(r);
                assertEquals(1, orgs.size(), r.asString());
                assertEquals(Boolean.TRUE, orgs.get(0).get("personal"));
                ids.add((String) orgs.get(0).get("id"));
            }
            assertEquals(1, ids.size(), "every parallel first call sees the same personal organization: " + ids);
        } finally {
            pool.shutdownNow();
        }

        List<Row> rows = db.rows("select id, name from organizations where personal = true and personal_owner = $1",
                carol.id());
        assertEquals(1, rows.size());
        String id = rows.get(0).getString(0);
        assertEquals("Personal", rows.get(0).getString(1));
        List<Row> members = db.rows("select user_id, role from organization_members where organization_id = $1", id);
        assertEquals(1, members.size());
        assertEquals(carol.id(), members.get(0).getString(0));
        assertEquals("owner", members.get(0).getString(1));
        assertEquals(List.of("organization.created"), eventTypes(id));

        // and a later call finds it instead of making another
        Response later = carol.api().get("/v1/organizations");
        assertEquals(List.of(id), Api.list(later).stream().map(o -> o.get("id")).toList());
        assertEquals(1, db.count("select count(*) from organizations where personal_owner = $1", carol.id()));
    }

    @Test
    void listShowsOnlyMyOrganizationsNewestFirst() {
        User alice = User.fresh("alice");
        User bob = User.fresh("bob");
        String mine = Api.organization(alice.token(), "Mine " + alice.id()).get("id").toString();
        String theirs = Api.organization(bob.token(), "Theirs " + bob.id()).get("id").toString();

        Response r = alice.api().get("/v1/organizations");
        assertEquals(200, r.statusCode(), r.asString());
        List<Map<String, Object>> orgs = Api.list(r);
        assertEquals(2, orgs.size(), r.asString());
        assertEquals(Boolean.TRUE, orgs.get(0).get("personal"), "the personal one was made last, so comes first");
        assertEquals("Personal", orgs.get(0).get("name"));
        assertEquals(mine, orgs.get(1).get("id"));
        assertEquals("organization", orgs.get(1).get("object"));
        assertFalse(orgs.stream().anyMatch(o -> o.get("id").equals(theirs)));
        assertNull(r.header("Link"), "no next page");
    }

    @Test
    void paginationWithLimitOneWalksEveryPageViaLinkWithoutDuplicatesOrGaps() {
        User alice = User.fresh("alice");
        List<String> created = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            created.add(Api.organization(alice.token(), "Page " + i + " " + alice.id()).get("id").toString());
        }
        // first use creates the personal organization, which is then the newest
        String full = "/v1/organizations";
        List<String> all = Api.list(alice.api().get(full).then().statusCode(200).extract().response()).stream()
                .map(o -> (String) o.get("id")).toList();
        assertEquals(4, all.size(), all.toString());
        String personal = all.get(0);
        assertEquals(List.of(personal, created.get(2), created.get(1), created.get(0)), all);

        List<String> walked = new ArrayList<>();
        String next = "/v1/organizations?limit=1";
        int pages = 0;
        while (next != null) {
            assertTrue(++pages <= 10, "pagination does not terminate");
            Response page = alice.api().urlEncodingEnabled(false).get(next);
            assertEquals(200, page.statusCode(), page.asString());
            List<Map<String, Object>> items = Api.list(page);
            assertEquals(1, items.size(), "limit=1 gives exactly one item per page: " + page.asString());
            items.forEach(o -> walked.add((String) o.get("id")));
            String link = page.header("Link");
            if (link == null) {
                next = null;
            } else {
                Matcher m = NEXT_LINK.matcher(link);
                assertTrue(m.find(), link);
                next = m.group(1);
                assertTrue(next.startsWith("/v1/organizations?"), next);
                assertTrue(next.contains("limit=1"), next);
                assertTrue(next.contains("cursor="), next);
            }
        }
        assertEquals(all, walked, "pages concatenate to the full list, no duplicates, no gaps");
        assertEquals(4, pages, "four items, four pages: the last one announces no next page");
    }

    @ParameterizedTest
    @ValueSource(strings = { "0", "1001", "-1", "abc" })
    void limitOutsideOneToThousandIs400(String limit) {
        User alice = User.fresh("alice");
        Response r = alice.api().filter(Contract.invalidRequest()).queryParam("limit", limit).get("/v1/organizations");
        JsonPath p = problem(r, 400, "validation_failed", "/v1/organizations");
        assertEquals(List.of("limit"), p.getList("errors.field"));
    }

    @Test
    void limitOfAThousandIsAccepted() {
        User alice = User.fresh("alice");
        alice.api().queryParam("limit", "1000").get("/v1/organizations").then().statusCode(200);
    }

    @Test
    void badCursorIs400InvalidCursor() {
        User alice = User.fresh("alice");
        problem(alice.api().queryParam("cursor", "not-a-cursor").get("/v1/organizations"), 400, "invalid_cursor",
                "/v1/organizations");
    }

    // ---------------------------------------------------------------- GET /v1/organizations/{id}

    @Test
    void getAnswersWithETagAndIfNoneMatchGives304() {
        User alice = User.fresh("alice");
        Map<String, Object> org = Api.organization(alice.token(), "Tagged " + alice.id());
        String path = "/v1/organizations/" + org.get("id");

        Response r = alice.api().get(path);
        assertEquals(200, r.statusCode(), r.asString());
        String etag = r.header("ETag");
        assertNotNull(etag);
        assertTrue(etag.matches("\"[^\"]+\""), "a strong, quoted ETag: " + etag);
        assertEquals(org, r.jsonPath().getMap(""));
        assertEquals(etag, alice.api().get(path).header("ETag"), "stable while unchanged");

        Response notModified = alice.api().header("If-None-Match", etag).get(path);
        assertEquals(304, notModified.statusCode());
        assertEquals("", notModified.asString());
        assertEquals(etag, notModified.header("ETag"));

        Response otherTag = alice.api().header("If-None-Match", "\"something-else\"").get(path);
        assertEquals(200, otherTag.statusCode());
        assertEquals(org.get("id"), otherTag.path("id"));
    }

    @Test
    void nonMemberGets404ProblemBodyLikeAMissingId() {
        User alice = User.fresh("alice");
        User mallory = User.fresh("mallory");
        String id = Api.organization(alice.token(), "Private " + alice.id()).get("id").toString();
        String path = "/v1/organizations/" + id;

        JsonPath p = problem(mallory.api().get(path), 404, "not_found", path);
        String missing = "org_" + Ids.cellCode(HOME_REGION) + randomBase62(26);
        JsonPath q = problem(mallory.api().get("/v1/organizations/" + missing), 404, "not_found",
                "/v1/organizations/" + missing);
        assertEquals(q.getString("detail"), p.getString("detail"), "same body as a missing id");
        assertEquals(q.getString("title"), p.getString("title"));

        problem(mallory.api().get(path + "/members"), 404, "not_found", path + "/members");
        problem(mallory.api().contentType(MERGE_PATCH).body("{\"name\":\"Mine now\"}").patch(path), 404,
                "not_found", path);
        problem(mallory.api().body(Map.of("role", "owner")).put(path + "/members/" + mallory.id()), 404,
                "not_found", path + "/members/" + mallory.id());
        problem(mallory.api().delete(path + "/members/" + alice.id()), 404, "not_found",
                path + "/members/" + alice.id());

        assertEquals("Private " + alice.id(), db.rows("select name from organizations where id = $1", id).get(0)
                .getString(0));
        assertEquals(1, db.count("select count(*) from organization_members where organization_id = $1", id));
        assertEquals(List.of("organization.created"), eventTypes(id));
    }

    @Test
    void idOfAnUnknownCellIs404() {
        User alice = User.fresh("alice");
        assertNotEquals("zzzz", Ids.cellCode(HOME_REGION));
        assertNotEquals("zzzz", Ids.cellCode(PEER_REGION));
        assertNotEquals("zzzz", Ids.cellCode("ap-southeast-2"));
        String id = "org_zzzz" + randomBase62(26);
        problem(alice.api().redirects().follow(false).get("/v1/organizations/" + id), 404, "not_found",
                "/v1/organizations/" + id);
    }

    @ParameterizedTest
    @ValueSource(strings = { "org_123", "ws_0000000000000000000000000000000000", "not-an-id",
            "org_------------------------------" })
    void malformedIdIs404(String id) {
        User alice = User.fresh("alice");
        problem(alice.api().get("/v1/organizations/" + id), 404, "not_found", "/v1/organizations/" + id);
    }

    @Test
    void idOfAPeerCellIs307ToThatCell() {
        User alice = User.fresh("alice");
        String id = "org_" + Ids.cellCode(PEER_REGION) + randomBase62(Ids.BODY_LENGTH - Ids.CELL_CODE_LENGTH);
        assertEquals(34, id.length());
        String path = "/v1/organizations/" + id;

        Response r = alice.api().redirects().follow(false).get(path);
        JsonPath p = problem(r, 307, "wrong_region", path);
        assertEquals(PEER_BASE_URL + path, r.header("Location"));
        assertEquals(PEER_REGION, r.header("X-Atrium-Region"));
        assertEquals(PEER_REGION, p.getString("region"));
        assertEquals(PEER_BASE_URL + path, p.getString("location"));

        Response members = alice.api().redirects().follow(false).queryParam("limit", "5").get(path + "/members");
        problem(members, 307, "wrong_region", path + "/members");
        assertEquals(PEER_BASE_URL + path + "/members?limit=5", members.header("Location"));

        Response patch = alice.api().redirects().follow(false).contentType(MERGE_PATCH).body("{\"name\":\"x\"}")
                .patch(path);
        problem(patch, 307, "wrong_region", path);
        assertEquals(PEER_BASE_URL + path, patch.header("Location"));
    }

    // ---------------------------------------------------------------- PATCH /v1/organizations/{id}

    @Test
    void mergePatchChangesNameAndSlugOnly() {
        User alice = User.fresh("alice");
        Map<String, Object> org = Api.organization(alice.token(), "Before " + alice.id());
        String id = (String) org.get("id");
        String path = "/v1/organizations/" + id;

        Response renamed = alice.api().contentType(MERGE_PATCH).body("{\"name\":\"After " + alice.id() + "\"}")
                .patch(path);
        assertEquals(200, renamed.statusCode(), renamed.asString());
        assertEquals("After " + alice.id(), renamed.path("name"));
        assertEquals(org.get("slug"), renamed.path("slug"), "an absent field is kept");
        assertEquals(org.get("created_at"), renamed.path("created_at"));
        assertTimestamp(renamed.path("updated_at"));
        assertTrue(Instant.parse(renamed.path("updated_at")).isAfter(Instant.parse((String) org.get("created_at"))));
        assertEquals(alice.id(), renamed.path("updated_by.id"));
        assertNotNull(renamed.header("ETag"));

        String newSlug = "after-" + alice.id().toLowerCase();
        Response reslugged = alice.api().contentType("application/json").body("{\"slug\":\"" + newSlug + "\"}")
                .patch(path);
        assertEquals(200, reslugged.statusCode(), reslugged.asString());
        assertEquals(newSlug, reslugged.path("slug"));
        assertEquals("After " + alice.id(), reslugged.path("name"));

        Response read = alice.api().get(path);
        assertEquals(reslugged.jsonPath().getMap(""), read.jsonPath().getMap(""));
        assertEquals(reslugged.header("ETag"), read.header("ETag"), "PATCH's ETag is the one a GET gives");

        Row row = db.rows("select name, slug, personal from organizations where id = $1", id).get(0);
        assertEquals("After " + alice.id(), row.getString(0));
        assertEquals(newSlug, row.getString(1));
        assertFalse(row.getBoolean(2));
        assertEquals(List.of("organization.created", "organization.updated", "organization.updated"), eventTypes(id));
        Row event = db.rows("select before->>'name', after->>'name', actor_id from events where organization_id = $1"
                + " and type = 'organization.updated' order by txid limit 1", id).get(0);
        assertEquals("Before " + alice.id(), event.getString(0));
        assertEquals("After " + alice.id(), event.getString(1));
        assertEquals(alice.id(), event.getString(2));
    }

    @Test
    void patchThatChangesNothingWritesNoEvent() {
        User alice = User.fresh("alice");
        Map<String, Object> org = Api.organization(alice.token(), "Same " + alice.id());
        String id = (String) org.get("id");
        Response r = alice.api().contentType(MERGE_PATCH).body("{\"name\":\"Same " + alice.id() + "\"}")
                .patch("/v1/organizations/" + id);
        assertEquals(200, r.statusCode(), r.asString());
        assertEquals(org, r.jsonPath().getMap(""));
        assertEquals(List.of("organization.created"), eventTypes(id));
    }

    @Test
    void ifMatchCurrentSucceedsAndStaleGives412() {
        User alice = User.fresh("alice");
        String id = Api.organization(alice.token(), "Guarded " + alice.id()).get("id").toString();
        String path = "/v1/organizations/" + id;
        String etag = alice.api().get(path).header("ETag");

        Response ok = alice.api().contentType(MERGE_PATCH).header("If-Match", etag)
                .body("{\"name\":\"Guarded 2\"}").patch(path);
        assertEquals(200, ok.statusCode(), ok.asString());
        assertNotEquals(etag, ok.header("ETag"));

        Response stale = alice.api().contentType(MERGE_PATCH).header("If-Match", etag)
                .body("{\"name\":\"Guarded 3\"}").patch(path);
        problem(stale, 412, "precondition_failed", path);
        assertEquals("Guarded 2", db.rows("select name from organizations where id = $1", id).get(0).getString(0));
        assertEquals(List.of("organization.created", "organization.updated"), eventTypes(id));
    }

    static Stream<Arguments> invalidPatches() {
        return Stream.of(
                Arguments.of("{\"name\":null}", List.of("name")),
                Arguments.of("{\"slug\":null}", List.of("slug")),
                Arguments.of("{\"name\":\"\"}", List.of("name")),
                Arguments.of("{\"name\":\"" + "n".repeat(51) + "\"}", List.of("name")),
                Arguments.of("{\"slug\":\"Not A Slug\"}", List.of("slug")),
                Arguments.of("{\"nickname\":\"x\"}", List.of("nickname")),
                Arguments.of("{\"personal\":true}", List.of("personal")),
                Arguments.of("{\"id\":\"org_other\"}", List.of("id")),
                Arguments.of("[]", List.of("body")));
    }

    @ParameterizedTest
    @MethodSource("invalidPatches")
    void invalidPatchIs400AndChangesNothing(String patch, List<String> fields) {
        User alice = User.fresh("alice");
        Map<String, Object> org = Api.organization(alice.token(), "Valid " + alice.id());
        String id = (String) org.get("id");
        String path = "/v1/organizations/" + id;
        JsonPath p = problem(alice.api().filter(Contract.invalidRequest()).contentType(MERGE_PATCH).body(patch).patch(path), 400,
                "validation_failed", path);
        assertEquals(fields, p.getList("errors.field"));
        assertEquals(org, alice.api().get(path).jsonPath().getMap(""));
        assertEquals(List.of("organization.created"), eventTypes(id));
    }

    @Test
    void malformedPatchIs400MalformedJson() {
        User alice = User.fresh("alice");
        String path = "/v1/organizations/" + Api.organization(alice.token(), "Mal " + alice.id()).get("id");
        problem(alice.api().filter(Contract.invalidRequest()).contentType(MERGE_PATCH).body("{\"name\":").patch(path), 400, "malformed_json", path);
    }

    @Test
    void patchToATakenSlugIs409Conflict() {
        User alice = User.fresh("alice");
        Map<String, Object> a = Api.organization(alice.token(), "Alpha " + alice.id());
        Map<String, Object> b = Api.organization(alice.token(), "Beta " + alice.id());
        String path = "/v1/organizations/" + b.get("id");
        problem(alice.api().contentType(MERGE_PATCH).body("{\"slug\":\"" + a.get("slug") + "\"}").patch(path), 409,
                "conflict", path);
        assertEquals(b.get("slug"), db.rows("select slug from organizations where id = $1", b.get("id")).get(0)
                .getString(0));
        assertEquals(List.of("organization.created"), eventTypes((String) b.get("id")));
    }

    @Test
    void memberMayNotPatchButAdminMay() {
        User owner = User.fresh("owner");
        User admin = User.fresh("admin");
        User member = User.fresh("member");
        String id = Api.organization(owner.token(), "Roles " + owner.id()).get("id").toString();
        String path = "/v1/organizations/" + id;
        putMember(owner, id, admin.id(), "admin").then().statusCode(200);
        putMember(owner, id, member.id(), "member").then().statusCode(200);

        problem(member.api().contentType(MERGE_PATCH).body("{\"name\":\"By member\"}").patch(path), 403,
                "permission_denied", path);
        assertEquals("Roles " + owner.id(), db.rows("select name from organizations where id = $1", id).get(0)
                .getString(0));

        Response byAdmin = admin.api().contentType(MERGE_PATCH).body("{\"name\":\"By admin\"}").patch(path);
        assertEquals(200, byAdmin.statusCode(), byAdmin.asString());
        assertEquals("By admin", byAdmin.path("name"));
        assertEquals(admin.id(), byAdmin.path("updated_by.id"));
        assertEquals(owner.id(), byAdmin.path("created_by.id"));

        // members can read it
        assertEquals("By admin", member.api().get(path).then().statusCode(200).extract().path("name"));
        assertEquals(List.of("organization.created", "organization.member_added", "organization.member_added",
                "organization.updated"), eventTypes(id));
    }

    // ---------------------------------------------------------------- members

    @Test
    void ownerAddsAdminAndMemberAndListShowsThem() {
        User owner = User.fresh("owner");
        User admin = User.fresh("admin");
        User member = User.fresh("member");
        String id = Api.organization(owner.token(), "Team " + owner.id()).get("id").toString();

        Response added = owner.api().body(Map.of("role", "admin", "email", admin.id() + "@example.com",
                "name", "Ada Admin")).put("/v1/organizations/" + id + "/members/" + admin.id());
        assertEquals(200, added.statusCode(), added.asString());
        JsonPath a = added.jsonPath();
        assertEquals("organization_member", a.getString("object"));
        assertEquals(id, a.getString("organization_id"));
        assertEquals(admin.id(), a.getString("user_id"));
        assertEquals("admin", a.getString("role"));
        assertEquals(admin.id() + "@example.com", a.getString("email"));
        assertEquals("Ada Admin", a.getString("name"));
        assertTimestamp(a.getString("created_at"));

        putMember(owner, id, member.id(), "member").then().statusCode(200);

        Response list = owner.api().get("/v1/organizations/" + id + "/members");
        assertEquals(200, list.statusCode(), list.asString());
        Map<String, String> roles = new LinkedHashMap<>();
        Api.list(list).forEach(m -> roles.put((String) m.get("user_id"), (String) m.get("role")));
        assertEquals(Map.of(owner.id(), "owner", admin.id(), "admin", member.id(), "member"), roles);
        assertEquals(3, Api.list(list).size());

        // any member may read the list
        assertEquals(3, Api.list(member.api().get("/v1/organizations/" + id + "/members")
                .then().statusCode(200).extract().response()).size());

        Map<String, String> rows = new LinkedHashMap<>();
        db.rows("select user_id, role from organization_members where organization_id = $1", id)
                .forEach(r -> rows.put(r.getString(0), r.getString(1)));
        assertEquals(roles, rows);
        assertEquals(List.of("organization.created", "organization.member_added", "organization.member_added"),
                eventTypes(id));
        Row event = db.rows("select resource_type, resource_id, before is null, after->>'role' from events"
                + " where organization_id = $1 and type = 'organization.member_added' order by txid limit 1", id)
                .get(0);
        assertEquals("organization_member", event.getString(0));
        assertEquals(admin.id(), event.getString(1));
        assertTrue(event.getBoolean(2));
        assertEquals("admin", event.getString(3));
    }

    @Test
    void membersListPaginatesWithLink() {
        User owner = User.fresh("owner");
        String id = Api.organization(owner.token(), "Paged " + owner.id()).get("id").toString();
        List<String> others = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String uid = Tokens.unique("m" + i);
            others.add(uid);
            putMember(owner, id, uid, "member").then().statusCode(200);
        }
        List<String> walked = new ArrayList<>();
        String next = "/v1/organizations/" + id + "/members?limit=2";
        int pages = 0;
        while (next != null) {
            assertTrue(++pages <= 5);
            Response page = owner.api().urlEncodingEnabled(false).get(next);
            assertEquals(200, page.statusCode(), page.asString());
            assertEquals(2, Api.list(page).size(), page.asString());
            Api.list(page).forEach(m -> walked.add((String) m.get("user_id")));
            String link = page.header("Link");
            next = null;
            if (link != null) {
                Matcher m = NEXT_LINK.matcher(link);
                assertTrue(m.find(), link);
                next = m.group(1);
            }
        }
        List<String> expected = new ArrayList<>(others);
        expected.add(owner.id());
        expected.sort(String::compareTo);
        List<String> sortedWalk = new ArrayList<>(walked);
        sortedWalk.sort(String::compareTo);
        assertEquals(expected, sortedWalk);
        assertEquals(4, new HashSet<>(walked).size());
        assertEquals(2, pages);
    }

    @Test
    void ownerChangesARoleWithOneUpdatedEvent() {
        User owner = User.fresh("owner");
        User bob = User.fresh("bob");
        String id = Api.organization(owner.token(), "Promote " + owner.id()).get("id").toString();
        putMember(owner, id, bob.id(), "member").then().statusCode(200);

        Response promoted = putMember(owner, id, bob.id(), "admin");
        assertEquals(200, promoted.statusCode(), promoted.asString());
        assertEquals("admin", promoted.path("role"));
        assertEquals("admin", db.rows("select role from organization_members where organization_id = $1"
                + " and user_id = $2", id, bob.id()).get(0).getString(0));
        assertEquals(List.of("organization.created", "organization.member_added", "organization.member_updated"),
                eventTypes(id));
        Row event = db.rows("select before->>'role', after->>'role' from events where organization_id = $1"
                + " and type = 'organization.member_updated'", id).get(0);
        assertEquals("member", event.getString(0));
        assertEquals("admin", event.getString(1));
    }

    @Test
    void adminMayAddAMemberButNotAnAdminOrOwner() {
        User owner = User.fresh("owner");
        User admin = User.fresh("admin");
        String id = Api.organization(owner.token(), "Admins " + owner.id()).get("id").toString();
        putMember(owner, id, admin.id(), "admin").then().statusCode(200);

        String newMember = Tokens.unique("new");
        Response ok = putMember(admin, id, newMember, "member");
        assertEquals(200, ok.statusCode(), ok.asString());
        assertEquals("member", ok.path("role"));

        String wouldBeAdmin = Tokens.unique("wannabe");
        problem(putMember(admin, id, wouldBeAdmin, "admin"), 403, "permission_denied",
                "/v1/organizations/" + id + "/members/" + wouldBeAdmin);
        problem(putMember(admin, id, wouldBeAdmin, "owner"), 403, "permission_denied",
                "/v1/organizations/" + id + "/members/" + wouldBeAdmin);
        problem(putMember(admin, id, newMember, "admin"), 403, "permission_denied",
                "/v1/organizations/" + id + "/members/" + newMember);
        problem(putMember(admin, id, admin.id(), "owner"), 403, "permission_denied",
                "/v1/organizations/" + id + "/members/" + admin.id());
        problem(putMember(admin, id, owner.id(), "member"), 403, "permission_denied",
                "/v1/organizations/" + id + "/members/" + owner.id());
        problem(admin.api().delete("/v1/organizations/" + id + "/members/" + owner.id()), 403,
                "permission_denied", "/v1/organizations/" + id + "/members/" + owner.id());

        Map<String, String> rows = new LinkedHashMap<>();
        db.rows("select user_id, role from organization_members where organization_id = $1", id)
                .forEach(r -> rows.put(r.getString(0), r.getString(1)));
        assertEquals(Map.of(owner.id(), "owner", admin.id(), "admin", newMember, "member"), rows);
        assertEquals(List.of("organization.created", "organization.member_added", "organization.member_added"),
                eventTypes(id), "refused requests write no event");
    }

    @Test
    void memberMayNotAddAnyone() {
        User owner = User.fresh("owner");
        User member = User.fresh("member");
        String id = Api.organization(owner.token(), "Members " + owner.id()).get("id").toString();
        putMember(owner, id, member.id(), "member").then().statusCode(200);

        String stranger = Tokens.unique("stranger");
        for (String role : List.of("member", "admin", "owner")) {
            problem(putMember(member, id, stranger, role), 403, "permission_denied",
                    "/v1/organizations/" + id + "/members/" + stranger);
        }
        problem(putMember(member, id, member.id(), "admin"), 403, "permission_denied",
                "/v1/organizations/" + id + "/members/" + member.id());
        problem(member.api().delete("/v1/organizations/" + id + "/members/" + owner.id()), 403,
                "permission_denied", "/v1/organizations/" + id + "/members/" + owner.id());
        assertEquals(0, db.count("select count(*) from organization_members where user_id = $1", stranger));
        assertEquals(List.of("organization.created", "organization.member_added"), eventTypes(id));
    }

    static Stream<Arguments> badMemberBodies() {
        return Stream.of(
                Arguments.of("{\"role\":\"superuser\"}", List.of("role")),
                Arguments.of("{\"role\":\"viewer\"}", List.of("role")),
                Arguments.of("{\"role\":\"OWNER\"}", List.of("role")),
                Arguments.of("{}", List.of("role")),
                Arguments.of("{\"role\":null}", List.of("role")),
                Arguments.of("{\"role\":\"member\",\"email\":\"not-an-email\"}", List.of("email")),
                Arguments.of("{\"role\":\"member\",\"colour\":\"blue\"}", List.of("colour")),
                Arguments.of("{\"role\":7}", List.of("role")));
    }

    @ParameterizedTest
    @MethodSource("badMemberBodies")
    void badMemberBodyIs400(String body, List<String> fields) {
        User owner = User.fresh("owner");
        String id = Api.organization(owner.token(), "Bad role " + owner.id()).get("id").toString();
        String target = Tokens.unique("target");
        String path = "/v1/organizations/" + id + "/members/" + target;
        JsonPath p = problem(owner.api().filter(Contract.invalidRequest()).body(body).put(path), 400, "validation_failed", path);
        assertEquals(fields, p.getList("errors.field"));
        assertEquals(0, db.count("select count(*) from organization_members where user_id = $1", target));
        assertEquals(List.of("organization.created"), eventTypes(id));
    }

    @Test
    void malformedMemberBodyIs400MalformedJson() {
        User owner = User.fresh("owner");
        String id = Api.organization(owner.token(), "Mal member " + owner.id()).get("id").toString();
        String path = "/v1/organizations/" + id + "/members/" + Tokens.unique("x");
        problem(owner.api().filter(Contract.invalidRequest()).body("{\"role\":").put(path), 400, "malformed_json", path);
    }

    @Test
    void aMemberMayLeave() {
        User owner = User.fresh("owner");
        User member = User.fresh("member");
        String id = Api.organization(owner.token(), "Leave " + owner.id()).get("id").toString();
        putMember(owner, id, member.id(), "member").then().statusCode(200);

        Response left = member.api().delete("/v1/organizations/" + id + "/members/" + member.id());
        assertEquals(204, left.statusCode(), left.asString());
        assertEquals("", left.asString());
        assertEquals(0, db.count("select count(*) from organization_members where organization_id = $1"
                + " and user_id = $2", id, member.id()));
        problem(member.api().get("/v1/organizations/" + id), 404, "not_found", "/v1/organizations/" + id);
        assertEquals(List.of("organization.created", "organization.member_added", "organization.member_removed"),
                eventTypes(id));
        Row event = db.rows("select actor_id, resource_id, before->>'role', after is null from events"
                + " where organization_id = $1 and type = 'organization.member_removed'", id).get(0);
        assertEquals(member.id(), event.getString(0));
        assertEquals(member.id(), event.getString(1));
        assertEquals("member", event.getString(2));
        assertTrue(event.getBoolean(3));
    }

    @Test
    void ownerRemovesAMemberAndRemovingANonMemberIs404() {
        User owner = User.fresh("owner");
        User member = User.fresh("member");
        String id = Api.organization(owner.token(), "Remove " + owner.id()).get("id").toString();
        putMember(owner, id, member.id(), "member").then().statusCode(200);

        owner.api().delete("/v1/organizations/" + id + "/members/" + member.id()).then().statusCode(204);
        assertEquals(0, db.count("select count(*) from organization_members where organization_id = $1"
                + " and user_id = $2", id, member.id()));

        String path = "/v1/organizations/" + id + "/members/" + member.id();
        problem(owner.api().delete(path), 404, "not_found", path);
        assertEquals(List.of("organization.created", "organization.member_added", "organization.member_removed"),
                eventTypes(id));
    }

    @Test
    void theLastOwnerCannotBeDemotedOrRemoved() {
        User owner = User.fresh("owner");
        User admin = User.fresh("admin");
        String id = Api.organization(owner.token(), "Last " + owner.id()).get("id").toString();
        putMember(owner, id, admin.id(), "admin").then().statusCode(200);
        String path = "/v1/organizations/" + id + "/members/" + owner.id();

        problem(putMember(owner, id, owner.id(), "admin"), 409, "invalid_role_transition", path);
        problem(putMember(owner, id, owner.id(), "member"), 409, "invalid_role_transition", path);
        problem(owner.api().delete(path), 409, "invalid_role_transition", path);

        assertEquals("owner", db.rows("select role from organization_members where organization_id = $1"
                + " and user_id = $2", id, owner.id()).get(0).getString(0));
        assertEquals(List.of("organization.created", "organization.member_added"), eventTypes(id));
    }

    @Test
    void withTwoOwnersOneCanBeRemovedButNotTheLast() {
        User first = User.fresh("owner1");
        User second = User.fresh("owner2");
        String id = Api.organization(first.token(), "Two owners " + first.id()).get("id").toString();

        Response made = putMember(first, id, second.id(), "owner");
        assertEquals(200, made.statusCode(), made.asString());
        assertEquals("owner", made.path("role"));

        Response removed = second.api().delete("/v1/organizations/" + id + "/members/" + first.id());
        assertEquals(204, removed.statusCode(), removed.asString());
        List<Row> rows = db.rows("select user_id, role from organization_members where organization_id = $1", id);
        assertEquals(1, rows.size());
        assertEquals(second.id(), rows.get(0).getString(0));
        assertEquals("owner", rows.get(0).getString(1));

        String path = "/v1/organizations/" + id + "/members/" + second.id();
        problem(second.api().delete(path), 409, "invalid_role_transition", path);
        assertEquals(List.of("organization.created", "organization.member_added", "organization.member_removed"),
                eventTypes(id));
    }

    @Test
    void withTwoOwnersOneMayDemoteItself() {
        User first = User.fresh("owner1");
        User second = User.fresh("owner2");
        String id = Api.organization(first.token(), "Demote " + first.id()).get("id").toString();
        putMember(first, id, second.id(), "owner").then().statusCode(200);

        Response demoted = putMember(first, id, first.id(), "admin");
        assertEquals(200, demoted.statusCode(), demoted.asString());
        assertEquals("admin", demoted.path("role"));
        assertEquals(List.of("organization.created", "organization.member_added", "organization.member_updated"),
                eventTypes(id));
    }

    // ---------------------------------------------------------------- authentication

    @Test
    void withoutATokenIs401() {
        Response r = given().accept("application/json").get("/v1/organizations");
        problem(r, 401, "unauthenticated", "/v1/organizations");
        String challenge = r.header("WWW-Authenticate");
        assertNotNull(challenge);
        assertTrue(challenge.startsWith("Bearer"), challenge);

        Response post = given().contentType("application/json").body("{\"name\":\"Anon\"}").post("/v1/organizations");
        problem(post, 401, "unauthenticated", "/v1/organizations");
        assertEquals(0, db.count("select count(*) from organizations where name = 'Anon'"));
    }

    @Test
    void expiredTokenIs401InvalidToken() {
        String sub = Tokens.unique("expired");
        Response r = Api.as(Tokens.expired(sub)).get("/v1/organizations");
        problem(r, 401, "unauthenticated", "/v1/organizations");
        String challenge = r.header("WWW-Authenticate");
        assertNotNull(challenge);
        assertTrue(challenge.startsWith("Bearer") && challenge.contains("error=\"invalid_token\""), challenge);
        assertEquals(0, db.count("select count(*) from organizations where personal_owner = $1", sub),
                "no personal organization for a refused caller");
    }

    @Test
    void untrustedOrUnsignedTokenIs401() {
        String sub = Tokens.unique("forged");
        problem(Api.as(Tokens.signUntrusted(Tokens.userClaims(sub))).body(Map.of("name", "Forged"))
                .post("/v1/organizations"), 401, "unauthenticated", "/v1/organizations");
        problem(Api.as(Tokens.unsigned(sub)).get("/v1/organizations"), 401, "unauthenticated", "/v1/organizations");
        assertEquals(0, db.count("select count(*) from organization_members where user_id = $1", sub));
    }

    // ---------------------------------------------------------------- the event log across a lifecycle

    @Test
    void everySuccessfulChangeWritesExactlyOneEventAndRefusalsNone() {
        User owner = User.fresh("owner");
        User admin = User.fresh("admin");
        User member = User.fresh("member");
        String id = Api.organization(owner.token(), "Lifecycle " + owner.id()).get("id").toString();
        String path = "/v1/organizations/" + id;
        List<String> expected = new ArrayList<>(List.of("organization.created"));
        assertEquals(expected, eventTypes(id));

        owner.api().contentType(MERGE_PATCH).body("{\"name\":\"Lifecycle 2\"}").patch(path).then().statusCode(200);
        expected.add("organization.updated");
        assertEquals(expected, eventTypes(id));

        putMember(owner, id, admin.id(), "admin").then().statusCode(200);
        expected.add("organization.member_added");
        assertEquals(expected, eventTypes(id));

        putMember(owner, id, member.id(), "member").then().statusCode(200);
        expected.add("organization.member_added");
        assertEquals(expected, eventTypes(id));

        putMember(owner, id, member.id(), "admin").then().statusCode(200);
        expected.add("organization.member_updated");
        assertEquals(expected, eventTypes(id));

        owner.api().delete(path + "/members/" + member.id()).then().statusCode(204);
        expected.add("organization.member_removed");
        assertEquals(expected, eventTypes(id));

        // refusals of every kind leave the log as it was
        String stale = "\"stale\"";
        owner.api().contentType(MERGE_PATCH).header("If-Match", stale).body("{\"name\":\"x\"}").patch(path)
                .then().statusCode(412);
        owner.api().filter(Contract.invalidRequest()).contentType(MERGE_PATCH).body("{\"name\":null}").patch(path).then().statusCode(400);
        putMember(admin, id, Tokens.unique("x"), "admin").then().statusCode(403);
        putMember(owner, id, owner.id(), "member").then().statusCode(409);
        owner.api().delete(path + "/members/" + owner.id()).then().statusCode(409);
        owner.api().filter(Contract.invalidRequest()).body(Map.of("role", "root"))
                .put("/v1/organizations/" + id + "/members/" + Tokens.unique("y")).then().statusCode(400);
        owner.api().delete(path + "/members/" + member.id()).then().statusCode(404);
        User.fresh("outsider").api().contentType(MERGE_PATCH).body("{\"name\":\"x\"}").patch(path)
                .then().statusCode(404);
        assertEquals(expected, eventTypes(id));

        assertEquals(6, db.count("select count(*) from events where organization_id = $1", id));
        assertEquals(0, db.count("select count(*) from events where organization_id = $1 and workspace_id is not null",
                id));
    }

    // ---------------------------------------------------------------- helpers

    private Response putMember(User caller, String orgId, String userId, String role) {
        return caller.api().body(Map.of("role", role)).put("/v1/organizations/" + orgId + "/members/" + userId);
    }

    private List<String> eventTypes(String organizationId) {
        return db.rows("select type from events where organization_id = $1 order by txid, occurred_at, id",
                organizationId).stream().map(r -> r.getString(0)).toList();
    }

    /** Asserts an RFC 9457 problem response and returns its body. */
    private static JsonPath problem(Response r, int status, String code, String instance) {
        String raw = r.asString();
        assertEquals(status, r.statusCode(), raw);
        assertNotNull(r.contentType(), raw);
        assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType() + " " + raw);
        JsonPath p = r.jsonPath();
        assertEquals(status, p.getInt("status"), raw);
        assertEquals(code, p.getString("code"), raw);
        assertEquals("https://atrium.dev/problems/" + code, p.getString("type"), raw);
        assertNotNull(p.getString("title"), raw);
        assertNotNull(p.getString("detail"), raw);
        assertEquals(instance, p.getString("instance"), raw);
        assertNotNull(r.header("Request-Id"), raw);
        assertEquals(r.header("Request-Id"), p.getString("request_id"), raw);
        assertNotNull(p.getList("errors"), raw);
        assertNotNull(r.header("X-Atrium-Region"));
        assertFalse(raw.contains("Exception") || raw.contains("dev.atrium.") || raw.contains("SQL")
                || raw.contains("\tat "), raw);
        return p;
    }

    private static void assertTimestamp(String value) {
        assertNotNull(value);
        assertTrue(TIMESTAMP.matcher(value).matches(), "RFC 3339 UTC with six fraction digits: " + value);
    }

    private static void assertLocation(String expectedPath, String location) {
        assertNotNull(location);
        assertTrue(location.equals(expectedPath) || location.endsWith("://localhost:8081" + expectedPath),
                "Location " + location + " names " + expectedPath);
    }

    private static String randomBase62(int length) {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(BASE62.charAt(random.nextInt(BASE62.length())));
        }
        return sb.toString();
    }
}
