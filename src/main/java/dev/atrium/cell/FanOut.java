package dev.atrium.cell;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.atrium.cell.PeerClient.Forward;
import dev.atrium.cell.PeerClient.PeerPage;
import dev.atrium.common.paging.Paging;
import dev.atrium.common.problem.ApiException;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * A list across every cell ({@code GET /v1/workspaces?regions=all}): this cell's page and each peer's page are read
 * in parallel (peers over HTTP, each bounded by the peer timeout and its circuit), merged in the list's sort order,
 * and returned; nothing read from a peer is stored. A peer that does not answer is reported in
 * {@value #UNREACHABLE_HEADER} instead of failing the list.
 *
 * <p>Paging: the cursor is composite, one position per region. Each page asks every region not yet exhausted for
 * {@code limit} items from its own position and merges them by always taking the best head, so what is taken from
 * each region is a prefix of its page; that region's next position is its own next cursor when the whole page was
 * taken, or the position after the last item taken (the regions run the same code, so that position is the cursor
 * the region itself would have issued). An unreachable region keeps its position and is retried on the next page,
 * whose items may then come out of order with the ones already shown; the header says so on the page that missed it.
 */
@ApplicationScoped
public class FanOut {

    public static final String UNREACHABLE_HEADER = "X-Atrium-Unreachable-Regions";
    private static final String CURSOR_SCOPE = "workspaces-all";

    /** One merged page: items as each cell sent them, the composite cursor of the next page, who did not answer. */
    public record Merged(List<JsonNode> items, String nextCursor, List<String> unreachable) {
    }

    private final Cells cells;
    private final PeerClient peers;
    private final ObjectMapper json;

    public FanOut(Cells cells, PeerClient peers, ObjectMapper json) {
        this.cells = cells;
        this.peers = peers;
        this.json = json;
    }

    /**
     * @param local one page of this cell's list from a local cursor ({@code null}: the first page)
     * @param filters the caller's filters and sort, sent unchanged to each peer (never {@code regions})
     * @param onlyRegion the caller's {@code region} filter: only that cell can have matches, so only it is asked
     */
    public Uni<Merged> workspaces(Function<String, Uni<PeerPage>> local, Map<String, String> filters, String sort,
            int limit, String cursor, String onlyRegion, Forward forward) {
        Map<String, Function<String, Uni<PeerPage>>> sources = new LinkedHashMap<>();
        if (onlyRegion == null || onlyRegion.equals(cells.region())) {
            sources.put(cells.region(), local);
        }
        for (String region : peers.regions()) {
            if (onlyRegion == null || onlyRegion.equals(region)) {
                sources.put(region, position -> {
                    Map<String, String> query = new LinkedHashMap<>(filters);
                    query.put("limit", String.valueOf(limit));
                    if (position != null) {
                        query.put("cursor", position);
                    }
                    return peers.workspaces(region, query, forward);
                });
            }
        }
        if (sources.isEmpty()) {
            sources.put(cells.region(), local); // a region no cell serves: this cell answers (with nothing)
        }
        return merge(sources, cells.region(), sort, limit, cursor, json);
    }

    private record Outcome(String region, PeerPage page) {
    }

    static Uni<Merged> merge(Map<String, Function<String, Uni<PeerPage>>> sources, String localRegion, String sort,
            int limit, String cursor, ObjectMapper json) {
        Map<String, String> at = new LinkedHashMap<>();
        Set<String> done = new HashSet<>();
        decode(cursor, sort, json, at, done);
        List<Uni<Outcome>> calls = new ArrayList<>();
        for (Map.Entry<String, Function<String, Uni<PeerPage>>> source : sources.entrySet()) {
            String region = source.getKey();
            if (done.contains(region)) {
                continue;
            }
            Uni<PeerPage> page = source.getValue().apply(at.get(region));
            Uni<Outcome> outcome = page.map(p -> new Outcome(region, p));
            if (!region.equals(localRegion)) {
                // A peer that cannot answer is reported, not fatal; a cursor the peer refuses is the client's error.
                outcome = outcome.onFailure(t -> !(t instanceof ApiException api && api.status() == 400))
                        .recoverWithItem(new Outcome(region, null));
            }
            calls.add(outcome);
        }
        if (calls.isEmpty()) {
            return Uni.createFrom().item(new Merged(List.of(), null, List.of()));
        }
        return Uni.combine().all().unis(calls).with(Outcome.class, outcomes -> {
            Comparator<JsonNode> order = order(sort);
            List<Outcome> answered = new ArrayList<>();
            Set<String> unreachable = new TreeSet<>();
            for (Outcome o : outcomes) {
                if (o.page() == null) {
                    unreachable.add(o.region());
                } else {
                    answered.add(o);
                }
            }
            int[] taken = new int[answered.size()];
            List<JsonNode> items = new ArrayList<>(limit);
            while (items.size() < limit) {
                int best = -1;
                for (int i = 0; i < answered.size(); i++) {
                    List<JsonNode> page = answered.get(i).page().items();
                    if (taken[i] < page.size() && (best < 0
                            || order.compare(page.get(taken[i]), answered.get(best).page().items().get(taken[best])) < 0)) {
                        best = i;
                    }
                }
                if (best < 0) {
                    break;
                }
                items.add(answered.get(best).page().items().get(taken[best]++));
            }
            boolean more = false;
            for (int i = 0; i < answered.size(); i++) {
                Outcome o = answered.get(i);
                List<JsonNode> page = o.page().items();
                if (taken[i] == page.size()) {
                    if (o.page().nextCursor() == null) {
                        done.add(o.region());
                        at.remove(o.region());
                    } else {
                        at.put(o.region(), o.page().nextCursor());
                    }
                } else if (taken[i] > 0) {
                    at.put(o.region(), positionAfter(page.get(taken[i] - 1), sort));
                }
                more |= !done.contains(o.region());
            }
            return new Merged(items, more ? encode(sort, at, done, json) : null, List.copyOf(unreachable));
        });
    }

    private static String key(JsonNode item, String sort) {
        return item.path(sort.endsWith("name") ? "name" : "created_at").asText();
    }

    /** Timestamps are fixed-width RFC 3339 UTC strings, so their text order is their time order. */
    static Comparator<JsonNode> order(String sort) {
        Comparator<JsonNode> asc = Comparator.<JsonNode, String>comparing(n -> key(n, sort))
                .thenComparing(n -> n.path("id").asText());
        return sort.startsWith("-") ? asc.reversed() : asc;
    }

    /** The cursor the item's own cell issues after it (see WorkspaceService's list). */
    static String positionAfter(JsonNode item, String sort) {
        return Paging.encode("workspaces:" + sort, key(item, sort), item.path("id").asText());
    }

    static String encode(String sort, Map<String, String> at, Set<String> done, ObjectMapper json) {
        ObjectNode root = json.createObjectNode();
        root.put("scope", CURSOR_SCOPE);
        root.put("sort", sort);
        ObjectNode positions = root.putObject("at");
        at.forEach(positions::put);
        done.stream().sorted().forEach(root.putArray("done")::add);
        try {
            return Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(json.writeValueAsString(root).getBytes(StandardCharsets.UTF_8));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static void decode(String cursor, String sort, ObjectMapper json, Map<String, String> at, Set<String> done) {
        if (cursor == null) {
            return;
        }
        try {
            JsonNode root = json.readTree(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
            if (root == null || !CURSOR_SCOPE.equals(root.path("scope").asText())
                    || !sort.equals(root.path("sort").asText()) || !root.path("at").isObject()
                    || !root.path("done").isArray()) {
                throw ApiException.invalidCursor();
            }
            root.get("at").fields().forEachRemaining(e -> {
                if (!e.getValue().isTextual()) {
                    throw ApiException.invalidCursor();
                }
                at.put(e.getKey(), e.getValue().asText());
            });
            root.get("done").forEach(r -> done.add(r.asText()));
        } catch (IllegalArgumentException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiException.invalidCursor();
        }
    }
}
