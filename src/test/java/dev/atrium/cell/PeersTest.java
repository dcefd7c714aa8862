package dev.atrium.cell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.atrium.cell.PeerClient.PeerPage;
import dev.atrium.common.paging.Page;
import dev.atrium.common.paging.Paging;
import dev.atrium.common.problem.ApiException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;

/** The cross-cell pieces that need no cell to run: merging, composite cursors, the circuit and start-up refusals. */
class PeersTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** A cell's list as WorkspaceService pages it: newest first, (created_at, id) cursors, limit + 1 look-ahead. */
    static Function<String, Uni<PeerPage>> cell(List<JsonNode> all, String sort, int limit, List<String> calls,
            String name) {
        return position -> {
            calls.add(name + ":" + position);
            List<JsonNode> rows = new ArrayList<>(all);
            rows.sort(FanOut.order(sort));
            int start = 0;
            if (position != null) {
                List<String> after = Paging.decode(position, "workspaces:" + sort, 2);
                while (start < rows.size() && FanOut.order(sort).compare(rows.get(start),
                        item(after.get(1), after.get(0))) <= 0) {
                    start++;
                }
            }
            List<JsonNode> window = rows.subList(start, Math.min(rows.size(), start + limit + 1));
            Page<JsonNode> page = Page.of(new ArrayList<>(window), limit, n -> FanOut.positionAfter(n, sort));
            return Uni.createFrom().item(new PeerPage(page.items(), page.nextCursor()));
        };
    }

    static JsonNode item(String id, String createdAt) {
        return JSON.createObjectNode().put("id", id).put("name", id).put("created_at", createdAt);
    }

    static String at(int second) {
        return String.format("2025-10-29T00:00:%02d.000000Z", second);
    }

    @Test
    void mergedPagesCoverEveryRegionOnceInOrder() {
        List<JsonNode> us = List.of(item("ws_us1", at(1)), item("ws_us2", at(4)), item("ws_us3", at(7)),
                item("ws_us4", at(8)));
        List<JsonNode> eu = List.of(item("ws_eu1", at(2)), item("ws_eu2", at(3)), item("ws_eu3", at(9)));
        List<JsonNode> ap = List.of(item("ws_ap1", at(5)));
        String sort = "-created_at";
        int limit = 3;
        List<String> calls = new ArrayList<>();
        Map<String, Function<String, Uni<PeerPage>>> sources = new LinkedHashMap<>();
        sources.put("us-east-1", cell(us, sort, limit, calls, "us"));
        sources.put("eu-west-1", cell(eu, sort, limit, calls, "eu"));
        sources.put("ap-southeast-2", cell(ap, sort, limit, calls, "ap"));
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            FanOut.Merged page = FanOut.merge(sources, "us-east-1", sort, limit, cursor, JSON).await().indefinitely();
            assertTrue(page.items().size() <= limit);
            assertEquals(List.of(), page.unreachable());
            page.items().forEach(n -> seen.add(n.get("id").asText()));
            cursor = page.nextCursor();
            pages++;
        } while (cursor != null && pages < 10);
        assertEquals(List.of("ws_eu3", "ws_us4", "ws_us3", "ws_ap1", "ws_us2", "ws_eu2", "ws_eu1", "ws_us1"), seen);
        assertEquals(3, pages);
        assertEquals(8, calls.size(), "the last page does not ask the exhausted region again: " + calls);
        assertFalse(calls.subList(6, calls.size()).stream().anyMatch(c -> c.startsWith("ap:")),
                "an exhausted region is not asked again: " + calls);
    }

    @Test
    void anUnreachableRegionIsReportedNotFatal() {
        Map<String, Function<String, Uni<PeerPage>>> sources = new LinkedHashMap<>();
        List<String> calls = new ArrayList<>();
        sources.put("us-east-1", cell(List.of(item("ws_a", at(1)), item("ws_b", at(2))), "-created_at", 1, calls,
                "us"));
        sources.put("eu-west-1", p -> Uni.createFrom().failure(ApiException.cellUnavailable("eu-west-1", 1)));
        sources.put("ap-southeast-2", p -> Uni.createFrom().failure(new RuntimeException("connection refused")));
        FanOut.Merged first = FanOut.merge(sources, "us-east-1", "-created_at", 1, null, JSON).await()
                .indefinitely();
        assertEquals(List.of("ap-southeast-2", "eu-west-1"), first.unreachable());
        assertEquals("ws_b", first.items().get(0).get("id").asText());
        FanOut.Merged second = FanOut.merge(sources, "us-east-1", "-created_at", 1, first.nextCursor(), JSON)
                .await().indefinitely();
        assertEquals("ws_a", second.items().get(0).get("id").asText());
        assertNull(second.nextCursor(), "no endless pages while only unreachable regions are left");
    }

    @Test
    void aLocalFailureOrABadCursorFailsTheList() {
        Map<String, Function<String, Uni<PeerPage>>> sources = new LinkedHashMap<>();
        sources.put("us-east-1", p -> Uni.createFrom().failure(new IllegalStateException("db down")));
        assertThrows(IllegalStateException.class,
                () -> FanOut.merge(sources, "us-east-1", "name", 5, null, JSON).await().indefinitely());
        assertEquals(400, assertThrows(ApiException.class,
                () -> FanOut.merge(sources, "us-east-1", "name", 5, "bm90LWpzb24", JSON)).status());
        String other = FanOut.encode("-name", Map.of(), Set.of(), JSON);
        assertEquals("invalid_cursor", assertThrows(ApiException.class,
                () -> FanOut.merge(sources, "us-east-1", "name", 5, other, JSON)).code());
    }

    @Test
    void circuitOpensAfterConsecutiveFailuresAndProbesOnce() {
        AtomicLong now = new AtomicLong(1_000);
        CircuitBreaker b = new CircuitBreaker(3, Duration.ofSeconds(30), now::get);
        for (int i = 0; i < 2; i++) {
            assertTrue(b.tryAcquire());
            b.failure();
        }
        assertTrue(b.tryAcquire());
        b.success();
        assertEquals(CircuitBreaker.State.CLOSED, b.state(), "a success resets the count");
        for (int i = 0; i < 3; i++) {
            assertTrue(b.tryAcquire());
            b.failure();
        }
        assertEquals(CircuitBreaker.State.OPEN, b.state());
        assertFalse(b.tryAcquire());
        assertEquals(30, b.retryAfterSeconds());
        now.addAndGet(29_500);
        assertEquals(1, b.retryAfterSeconds());
        now.addAndGet(500);
        assertTrue(b.tryAcquire(), "the probe");
        assertFalse(b.tryAcquire(), "only one probe at a time");
        b.failure();
        assertEquals(CircuitBreaker.State.OPEN, b.state(), "a failed probe opens again at once");
        now.addAndGet(30_000);
        assertTrue(b.tryAcquire());
        b.abandoned();
        assertTrue(b.tryAcquire(), "an abandoned probe frees its slot");
        b.success();
        assertEquals(CircuitBreaker.State.CLOSED, b.state());
    }

    static PeerConfig peerConfig(boolean insecure, Duration ttl, String directory) {
        return new PeerConfig() {
            public Duration peerTimeout() {
                return Duration.ofSeconds(2);
            }

            public Duration roleCacheTtl() {
                return ttl;
            }

            public boolean allowInsecurePeers() {
                return insecure;
            }

            public Optional<String> directoryRegion() {
                return Optional.ofNullable(directory);
            }

            public int breakerFailures() {
                return 5;
            }

            public Duration breakerOpenFor() {
                return Duration.ofSeconds(30);
            }
        };
    }

    @Test
    void startRefusesPlainHttpPeersLongCachesAndUnknownDirectories() {
        Cells plain = new Cells(CellsTest.config("us-east-1", Map.of("eu-west-1", "http://eu.example"), null));
        Cells none = new Cells(CellsTest.config("us-east-1", Map.of(), null));
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        IllegalStateException http = assertThrows(IllegalStateException.class,
                () -> new PeerClient(plain, peerConfig(false, Duration.ofSeconds(30), null), JSON, metrics, null));
        assertTrue(http.getMessage().contains("HTTPS"), http.getMessage());
        assertThrows(IllegalStateException.class,
                () -> new PeerClient(none, peerConfig(false, Duration.ofSeconds(31), null), JSON, metrics, null));
        assertThrows(IllegalStateException.class,
                () -> new PeerClient(none, peerConfig(false, Duration.ofSeconds(10), "eu-west-1"), JSON, metrics,
                        null));
        PeerClient ok = new PeerClient(none, peerConfig(false, Duration.ofSeconds(30), null), JSON, metrics, null);
        assertTrue(ok.isDirectory());
        assertEquals("us-east-1", ok.directoryRegion());
    }

    @Test
    void nextCursorIsReadFromTheLinkHeader() {
        assertEquals("a b/c", PeerClient.nextCursor("</v1/workspaces?limit=2&cursor=a+b%2Fc>; rel=\"next\""));
        assertNull(PeerClient.nextCursor(null));
        assertNull(PeerClient.nextCursor("</v1/x?cursor=a>; rel=\"prev\""));
        Set<String> seen = new HashSet<>();
        assertTrue(seen.add(FanOut.positionAfter(item("ws_1", at(1)), "name")));
    }
}
