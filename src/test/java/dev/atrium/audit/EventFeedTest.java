package dev.atrium.audit;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.atrium.common.paging.Paging;
import dev.atrium.support.Api;
import dev.atrium.support.Db;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;

@QuarkusTest
class EventFeedTest {

    private static final Pattern NEXT = Pattern.compile("^<([^>]+)>; rel=\"next\"$");
    private static final String FEED = Tokens.service("provisioner", "atrium:events:read");

    @Inject
    Db db;

    @Inject
    Pool pool;

    /** One answer of the feed: its events and the URL its {@code Link} names. */
    private record Page(List<Map<String, Object>> events, String next) {
        List<Map<String, Object>> of(Set<?> workspaceIds) {
            return events.stream().filter(e -> e.get("workspace_id") != null && workspaceIds.contains(e.get("workspace_id")))
                    .toList();
        }
    }

    private static Page read(String url) {
        Response r = Api.as(FEED).get(url);
        assertEquals(200, r.statusCode(), r.asString());
        String link = r.header("Link");
        assertNotNull(link, "every page links to the next one");
        Matcher m = NEXT.matcher(link);
        assertTrue(m.matches(), link);
        return new Page(Api.list(r), m.group(1));
    }

    private static String after(String url) {
        Matcher m = Pattern.compile("[?&]after=([^&]*)").matcher(url);
        return m.find() ? URLDecoder.decode(m.group(1), StandardCharsets.UTF_8) : null;
    }

    /** The URL that reads on from the end of the feed as it is now (whatever earlier tests left in it). */
    private static String tip(String query) {
        String url = "/v1/events?limit=1000" + query;
        for (int i = 0; i < 1000; i++) {
            Page p = read(url);
            if (p.events().size() < 1000) {
                return p.next();
            }
            url = p.next();
        }
        throw new AssertionError("the feed never ends");
    }

    private static String tip() {
        return tip("");
    }

    private List<String> idsInFeedOrder(Set<String> workspaceIds) {
        return db.rows("select id from events where workspace_id = any($1) order by txid, id",
                (Object) workspaceIds.toArray(new String[0])).stream().map(r -> r.getString(0)).toList();
    }

    @Test
    void pagesFollowTheLinkOldestFirstAndLookLikeAuditEvents() {
        String tip = tip();
        String sub = Tokens.unique("feed");
        String token = Tokens.user(sub);
        Map<String, Object> ws = Api.activeWorkspace(token);
        String id = (String) ws.get("id");
        for (int i = 0; i < 4; i++) {
            Api.as(token).header("Request-Id", "feed-" + i).body(Map.of("name", "Feed " + i))
                    .patch("/v1/workspaces/" + id).then().statusCode(200);
        }
        List<Map<String, Object>> seen = new ArrayList<>();
        String url = tip.replace("limit=1000", "limit=3");
        assertTrue(url.contains("limit=3"), url);
        Page page;
        int pages = 0;
        do {
            page = read(url);
            assertTrue(page.events().size() <= 3);
            seen.addAll(page.of(Set.of(id)));
            assertTrue(page.next().startsWith("/v1/events?after="), page.next());
            assertTrue(page.next().contains("&limit=3"), page.next());
            if (page.events().isEmpty()) {
                // An empty page names the position it was asked for.
                assertEquals(after(url), after(page.next()));
            } else {
                assertNotEquals(after(url), after(page.next()));
            }
            url = page.next();
            pages++;
        } while (!page.events().isEmpty() && pages < 100);
        assertTrue(pages >= 3, "7 events at 3 a page");
        assertEquals(idsInFeedOrder(Set.of(id)), seen.stream().map(e -> e.get("id")).toList());
        assertEquals(7, seen.size());
        assertEquals(List.of("workspace.provisioned", "workspace.updated", "workspace.updated", "workspace.updated",
                "workspace.updated"), seen.subList(2, 7).stream().map(e -> e.get("type")).toList());
        assertEquals(Set.of("workspace.created", "member.added"),
                Set.of(seen.get(0).get("type"), seen.get(1).get("type")));
        // The very records the audit endpoint shows.
        List<Map<String, Object>> audit = Api.list(Api.as(token).get("/v1/workspaces/" + id + "/audit"));
        assertEquals(7, audit.size());
        for (Map<String, Object> e : seen) {
            assertEquals(audit.stream().filter(a -> a.get("id").equals(e.get("id"))).findFirst().orElseThrow(), e);
        }
        Map<String, Object> last = seen.get(6);
        assertEquals("event", last.get("object"));
        assertEquals("feed-3", last.get("request_id"));
        assertEquals(sub, ((Map<?, ?>) last.get("actor")).get("id"));
        assertEquals(Map.of("type", "workspace", "id", id), last.get("resource"));
        assertEquals(ws.get("organization_id"), last.get("organization_id"));
        assertTrue(((String) last.get("occurred_at")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z"));
        // No cursor: from the oldest retained event, and still a Link.
        Api.as(FEED).get("/v1/events?limit=2").then().statusCode(200)
                .header("Link", matchesPattern("^</v1/events\\?after=[A-Za-z0-9_%-]+&limit=2>; rel=\"next\"$"));
    }

    @Test
    void typeFilterExactOrPrefix() {
        String token = Tokens.user(Tokens.unique("ftype"));
        String tip = tip();
        Map<String, Object> ws = Api.activeWorkspace(token);
        Set<Object> mine = Set.of(ws.get("id"));
        for (int i = 0; i < 2; i++) {
            Api.as(token).body(Map.of("name", "Typed " + i)).patch("/v1/workspaces/" + ws.get("id")).then()
                    .statusCode(200);
        }
        Page updated = read(tip + "&type=workspace.updated");
        assertEquals(List.of("workspace.updated", "workspace.updated"),
                updated.of(mine).stream().map(e -> e.get("type")).toList());
        assertTrue(updated.events().stream().allMatch(e -> e.get("type").equals("workspace.updated")));
        assertTrue(updated.next().contains("&type=workspace.updated"), updated.next());
        Page members = read(tip + "&type=member.*");
        assertEquals(List.of("member.added"), members.of(mine).stream().map(e -> e.get("type")).toList());
        assertTrue(members.events().stream().allMatch(e -> ((String) e.get("type")).startsWith("member.")));
        assertEquals(4, read(tip + "&type=workspace.*").of(mine).size());
        // Nothing matches: the page is empty, and its Link moves past what was skipped, so nothing is scanned twice.
        Page none = read(tip + "&type=no.such.type");
        assertEquals(List.of(), none.events());
        assertNotEquals(after(tip), after(none.next()));
        assertEquals(List.of(), read(none.next().replace("&type=no.such.type", "")).of(mine));
        for (String bad : List.of(".*", "x".repeat(101))) {
            Api.as(FEED).queryParam("type", bad).get("/v1/events").then().statusCode(400)
                    .body("code", equalTo("validation_failed")).body("errors[0].field", equalTo("type"));
        }
    }

    @Test
    void malformedExpiredAndOutOfRangeParameters() {
        for (String bad : List.of("garbage!", "Zm9v", Paging.encode("audit:ws_x", "2025-01-01T00:00:00Z", "evt_1"),
                Paging.encode(EventFeed.CURSOR_SCOPE, "12x", "evt_1", "0"),
                Paging.encode(EventFeed.CURSOR_SCOPE, "12", "", "0"),
                Paging.encode(EventFeed.CURSOR_SCOPE, "12", "evt_1", "soon"),
                Paging.encode(EventFeed.CURSOR_SCOPE, "12", "evt_1"))) {
            Api.as(FEED).queryParam("after", bad).get("/v1/events").then().statusCode(400)
                    .contentType("application/problem+json").body("code", equalTo("invalid_cursor"))
                    .body("errors[0].field", equalTo("after"));
        }
        long old = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now().minus(Duration.ofDays(31)));
        Api.as(FEED).queryParam("after", Paging.encode(EventFeed.CURSOR_SCOPE, "3", "evt_old", Long.toString(old)))
                .get("/v1/events").then().statusCode(410).contentType("application/problem+json")
                .body("code", equalTo("cursor_expired")).body("status", equalTo(410));
        long recent = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now().minus(Duration.ofDays(29)));
        Api.as(FEED).queryParam("after", Paging.encode(EventFeed.CURSOR_SCOPE, "3", "evt_old", Long.toString(recent)))
                .get("/v1/events?limit=1").then().statusCode(200);
        for (String limit : List.of("0", "1001", "x")) {
            Api.as(FEED).get("/v1/events?limit=" + limit).then().statusCode(400)
                    .body("code", equalTo("validation_failed")).body("errors[0].field", equalTo("limit"));
        }
        for (String wait : List.of("-1", "31", "soon")) {
            Api.as(FEED).get("/v1/events?wait=" + wait).then().statusCode(400)
                    .body("code", equalTo("validation_failed")).body("errors[0].field", equalTo("wait"));
        }
        Api.as(FEED).get("/v1/events?limit=1000&wait=0").then().statusCode(200);
    }

    @Test
    void onlyServicesWithTheEventsScope() throws Exception {
        RestAssured.given().get("/v1/events").then().statusCode(401).contentType("application/problem+json")
                .body("code", equalTo("unauthenticated")).header("WWW-Authenticate", startsWith("Bearer"));
        Api.as(Tokens.signUntrusted(io.smallrye.jwt.build.Jwt.issuer(Tokens.ISSUER).audience(Tokens.AUDIENCE)
                .subject("provisioner").claim("azp", "provisioner").claim("scope", "atrium:events:read")
                .expiresIn(Duration.ofMinutes(5)))).get("/v1/events").then().statusCode(401)
                .body("code", equalTo("unauthenticated"));
        Api.as(Tokens.expired("someone")).get("/v1/events").then().statusCode(401);
        String sub = Tokens.unique("fuser");
        String user = Tokens.user(sub);
        Api.as(user).get("/v1/events").then().statusCode(403).body("code", equalTo("permission_denied"));
        Api.as(Tokens.platformAdmin(Tokens.unique("fadm"))).get("/v1/events").then().statusCode(403)
                .body("code", equalTo("permission_denied"));
        // Refused before its parameters are looked at.
        Api.as(user).get("/v1/events?limit=0").then().statusCode(403);
        Api.as(Tokens.service("billing-service", "atrium:workspaces:read atrium:workspaces:write")).get("/v1/events")
                .then().statusCode(403).body("code", equalTo("permission_denied"));
        // Not an allow-listed client: not a service at all.
        Api.as(Tokens.service("stranger", "atrium:events:read")).get("/v1/events").then().statusCode(403);
        Api.as(Tokens.service("billing-service", "atrium:events:read")).get("/v1/events?limit=1").then()
                .statusCode(200);
        Api.as(Tokens.service("billing-service", "atrium:admin")).get("/v1/events?limit=1").then().statusCode(200);

        Map<String, Object> ws = Api.activeWorkspace(user);
        Api.as(Tokens.service("billing-service", "atrium:admin")).body(Map.of("plan", "team"))
                .patch("/v1/workspaces/" + ws.get("id")).then().statusCode(200);
        Response key = Api.as(user).body(Map.of("name", "feed", "scopes", List.of("workspace:read", "audit:read")))
                .post("/v1/workspaces/" + ws.get("id") + "/api-keys");
        assertEquals(201, key.statusCode(), key.asString());
        Api.as(key.path("secret")).get("/v1/events").then().statusCode(403)
                .body("code", equalTo("api_key_not_allowed"));
    }

    @Test
    void longPollAnswersWhenAnEventArrives() throws Exception {
        String token = Tokens.user(Tokens.unique("fpoll"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        String tip = tip("&type=workspace.updated");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            long start = System.nanoTime();
            Future<Page> reader = pool.submit(() -> read(tip + "&wait=5"));
            Thread.sleep(1000);
            Api.as(token).body(Map.of("name", "Awaited")).patch("/v1/workspaces/" + ws.get("id")).then()
                    .statusCode(200);
            Page page = reader.get(10, TimeUnit.SECONDS);
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(1, page.of(Set.of(ws.get("id"))).size(), page.events().toString());
            assertEquals("Awaited", ((Map<?, ?>) page.of(Set.of(ws.get("id"))).get(0).get("after")).get("name"));
            assertTrue(elapsed >= 900 && elapsed < 4000, "answered after " + elapsed + " ms");
            assertTrue(page.next().endsWith("&type=workspace.updated&wait=5"), page.next());
        } finally {
            pool.shutdownNow();
        }
        // Nothing arrives: the empty page comes after about the wait, still with a Link.
        String quiet = tip("&type=no.such.type");
        long start = System.nanoTime();
        Page empty = read(quiet + "&wait=2");
        long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(List.of(), empty.events());
        assertTrue(elapsed >= 1900 && elapsed < 4500, "answered after " + elapsed + " ms");
        assertEquals(after(quiet), after(empty.next()));
    }

    /**
     * 20 writers change their own workspaces at once while a reader follows the feed with long polls: the reader
     * sees every one of their events exactly once, in the feed's (txid, id) order.
     */
    @Test
    void concurrentWritersAreSeenExactlyOnceInOrder() throws Exception {
        int writers = 20;
        int changes = 5;
        String start = tip().replace("limit=1000", "limit=7");
        Set<String> workspaceIds = ConcurrentHashMap.newKeySet();
        // Every event the reader gets, as [id, workspace_id]: workspaces are created while it reads.
        List<String[]> all = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService threads = Executors.newFixedThreadPool(writers + 1);
        try {
            Future<Integer> reader = threads.submit(() -> {
                String url = start + "&wait=1";
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                int polls = 0;
                while (System.nanoTime() < deadline) {
                    Page p = read(url);
                    polls++;
                    p.events().forEach(e -> all.add(new String[] { (String) e.get("id"),
                            (String) e.get("workspace_id") }));
                    url = p.next();
                    if (!writing.get() && p.events().isEmpty()
                            && mine(all, workspaceIds).size() == idsInFeedOrder(workspaceIds).size()) {
                        return polls;
                    }
                }
                List<String> expected = idsInFeedOrder(workspaceIds);
                List<String> got = mine(all, workspaceIds);
                throw new AssertionError("the reader did not catch up: " + got.size() + " of " + expected.size()
                        + ", missing " + expected.stream().filter(id -> !got.contains(id)).toList() + ", last " + url
                        + ", read " + all.size() + " in " + polls + " polls, last types "
                        + all.subList(Math.max(0, all.size() - 5), all.size()).stream().map(e -> e[0] + "/" + e[1])
                                .toList());
            });
            // Created one after another (provisioning is not what this test is about), changed all at once.
            List<String> tokens = new ArrayList<>();
            List<String> paths = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String token = Tokens.user(Tokens.unique("fw"));
                Map<String, Object> ws = Api.activeWorkspace(token);
                workspaceIds.add((String) ws.get("id"));
                tokens.add(token);
                paths.add("/v1/workspaces/" + ws.get("id"));
            }
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String token = tokens.get(w);
                String path = paths.get(w);
                done.add(threads.submit(() -> {
                    go.await();
                    for (int i = 0; i < changes; i++) {
                        Api.as(token).body(Map.of("name", "Change " + i)).patch(path).then().statusCode(200);
                        if (i == 2) {
                            Api.as(token).post(path + "/archive").then().statusCode(200);
                            Api.as(token).post(path + "/unarchive").then().statusCode(200);
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
            writing.set(false);
            int polls = reader.get(150, TimeUnit.SECONDS);
            assertTrue(polls > 1);
        } finally {
            threads.shutdownNow();
        }
        assertEquals(writers, workspaceIds.size());
        List<String> expected = idsInFeedOrder(workspaceIds);
        // created, member.added, provisioned, then the changes, archived and unarchived
        assertEquals(writers * (3 + changes + 2), expected.size());
        List<String> seen = mine(all, workspaceIds);
        assertEquals(expected.size(), new HashSet<>(seen).size(), "no event repeated");
        assertEquals(all.size(), all.stream().map(e -> e[0]).distinct().count(), "no event repeated");
        assertEquals(expected, seen);
    }

    /**
     * Transaction ids are compared as numbers: a page whose events straddle a change in the number of digits
     * (9999 to 10000) comes out in (txid, id) order and the next page starts after its true last event.
     */
    @Test
    void pagesStayInOrderAcrossADigitBoundaryOfTransactionIds() {
        String token = Tokens.user(Tokens.unique("fdig"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        String path = "/v1/workspaces/" + ws.get("id");
        long now = Long.parseLong(db.rows("select cast(pg_current_xact_id() as text)").get(0).getString(0));
        long boundary = 10;
        while (boundary <= now + 20) {
            boundary *= 10;
        }
        long burn = boundary - now - 10;
        org.junit.jupiter.api.Assumptions.assumeTrue(burn < 200_000, "too far from the next boundary: " + burn);
        SqlConnection conn = pool.getConnection().await().atMost(Duration.ofSeconds(10));
        try {
            conn.query("set synchronous_commit = off").execute().await().atMost(Duration.ofSeconds(10));
            conn.query("do $$ begin for i in 1.." + burn + " loop perform pg_current_xact_id(); commit; end loop; end $$")
                    .execute().await().atMost(Duration.ofSeconds(120));
            conn.query("reset synchronous_commit").execute().await().atMost(Duration.ofSeconds(10));
        } finally {
            conn.close().await().atMost(Duration.ofSeconds(10));
        }
        String start = tip();
        for (int i = 0; i < 20; i++) {
            Api.as(token).body(Map.of("name", "Digit " + i)).patch(path).then().statusCode(200);
        }
        List<Long> txids = db.rows("select cast(txid as text) from events where workspace_id = $1 and type = $2",
                ws.get("id"), "workspace.updated").stream()
                .map(r -> Long.parseLong(r.getString(0))).sorted().toList();
        assertTrue(txids.get(0) < boundary && txids.get(19) >= boundary, txids + " should straddle " + boundary);
        List<Object> seen = new ArrayList<>();
        String url = start;
        for (int i = 0; i < 20; i++) {
            Page p = read(url);
            p.of(Set.of(ws.get("id"))).forEach(e -> seen.add(e.get("id")));
            url = p.next();
            if (p.events().isEmpty()) {
                break;
            }
        }
        List<String> expected = idsInFeedOrder(Set.of((String) ws.get("id")));
        assertEquals(expected.subList(3, expected.size()), seen);
    }

    private static List<String> mine(List<String[]> events, Set<String> workspaceIds) {
        synchronized (events) {
            return events.stream().filter(e -> e[1] != null && workspaceIds.contains(e[1])).map(e -> e[0]).toList();
        }
    }

    private String insertEvent(SqlConnection conn, String workspaceId, String type) {
        String id = "evt_" + Tokens.unique("raw").replace("-", "");
        conn.preparedQuery("insert into events (id, type, occurred_at, actor, actor_id, workspace_id, resource_type,"
                + " resource_id) values ($1, $2, now(), cast(cast($3 as text) as jsonb), 'system', $4, 'workspace', $4)")
                .execute(Tuple.of(id, type, "{\"id\":\"system\",\"subject_type\":\"SYSTEM\",\"name\":\"Atrium\"}",
                        workspaceId))
                .await().atMost(Duration.ofSeconds(10));
        return id;
    }

    /**
     * The mechanism itself: an event whose transaction began first but commits last is not skipped. While the first
     * transaction is open the feed stops before it, even though a later event has already committed.
     */
    @Test
    void aLateCommitIsNeitherSkippedNorRepeated() throws Exception {
        String token = Tokens.user(Tokens.unique("flate"));
        Map<String, Object> ws = Api.activeWorkspace(token);
        String wsId = (String) ws.get("id");
        Set<Object> mine = Set.of(wsId);
        String start = tip();
        SqlConnection slow = pool.getConnection().await().atMost(Duration.ofSeconds(10));
        String first;
        String second;
        Transaction tx = null;
        boolean committed = false;
        try {
            tx = slow.begin().await().atMost(Duration.ofSeconds(10));
            first = insertEvent(slow, wsId, "workspace.updated");
            SqlConnection quick = pool.getConnection().await().atMost(Duration.ofSeconds(10));
            try {
                second = insertEvent(quick, wsId, "workspace.updated");
            } finally {
                quick.close().await().atMost(Duration.ofSeconds(10));
            }
            assertEquals(1, db.count("select count(*) from events where id = $1", second), "committed");
            assertEquals(0, db.count("select count(*) from events where id = $1", first), "not yet committed");
            // The open transaction sees both: its own event has the lower transaction id.
            assertTrue(slow.preparedQuery("select (select txid from events where id = $1)"
                    + " < (select txid from events where id = $2)").execute(Tuple.of(first, second))
                    .await().atMost(Duration.ofSeconds(10)).iterator().next().getBoolean(0));

            // The later event has committed, the earlier transaction has not: the feed holds both back.
            Page held = read(start);
            assertEquals(List.of(), held.of(mine));
            long t0 = System.nanoTime();
            Page waited = read(held.next() + "&wait=1");
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) >= 900);
            assertEquals(List.of(), waited.of(mine));

            tx.commit().await().atMost(Duration.ofSeconds(10));
            committed = true;

            List<String> seen = new ArrayList<>();
            String url = waited.next();
            for (int i = 0; i < 20 && seen.size() < 2; i++) {
                Page p = read(url + "&wait=2");
                p.of(mine).forEach(e -> seen.add((String) e.get("id")));
                url = p.next();
            }
            // Feed order is (txid, id): the transaction that began first comes first, though it committed last.
            assertEquals(List.of(first, second), seen);
            assertEquals(List.of(first, second), idsInFeedOrder(Set.of(wsId)).subList(3, 5));
            // Read on: neither comes again.
            Page after = read(url);
            assertEquals(List.of(), after.of(mine));
            // And a reader that started before both sees each once.
            List<String> again = new ArrayList<>();
            url = start;
            for (int i = 0; i < 20; i++) {
                Page p = read(url);
                p.of(mine).forEach(e -> again.add((String) e.get("id")));
                url = p.next();
                if (p.events().isEmpty()) {
                    break;
                }
            }
            assertEquals(List.of(first, second), again);
        } finally {
            if (tx != null && !committed) {
                tx.rollback().await().atMost(Duration.ofSeconds(10));
            }
            slow.close().await().atMost(Duration.ofSeconds(10));
        }
    }
}
