package dev.atrium.cell;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import dev.atrium.common.id.Ids;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.problem.FieldError;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;

/**
 * Knows this cell and its peers, mints ids that name this cell, and decides for any id or region whether it is
 * served here, elsewhere (307), or nowhere (404 / 422).
 */
@Startup // a cell with a bad base URL or peer list refuses to start
// A singleton: on every request's path, called directly rather than through a client proxy.
@Singleton
public class Cells {

    static final String REGION = "[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?";

    private final String region;
    private final String code;
    private final String baseUrl;
    private final Map<String, String> peers;
    private final Map<String, String> regionByCode = new HashMap<>();

    public Cells(CellConfig config) {
        this.region = config.region();
        if (!region.matches(REGION)) {
            throw new IllegalStateException("atrium.cell.region must be a lower-case region name, got: " + region);
        }
        this.code = Ids.cellCode(region);
        if (!config.baseUrl().matches("https?://[^/\\s?#]+(/[^\\s?#]*)?")) {
            throw new IllegalStateException("atrium.cell.base-url (ATRIUM_CELL_BASE_URL) must be this cell's public"
                    + " http(s) base URL, got: " + config.baseUrl());
        }
        this.baseUrl = trimSlash(config.baseUrl());
        this.peers = new TreeMap<>();
        config.peers().forEach((r, url) -> peers.put(r, trimSlash(url)));
        config.peerList().ifPresent(list -> {
            for (String entry : list.split(",")) {
                String[] kv = entry.trim().split("=", 2);
                if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
                    throw new IllegalStateException("atrium.cell.peer-list entries are region=url, got: " + entry);
                }
                peers.put(kv[0].trim(), trimSlash(kv[1].trim()));
            }
        });
        peers.remove(region);
        for (String peer : peers.keySet()) {
            if (!peer.matches(REGION)) {
                throw new IllegalStateException("peer region '" + peer + "' is not a region name (an environment"
                        + " variable cannot spell hyphens: use ATRIUM_CELL_PEER_LIST)");
            }
        }
        regionByCode.put(code, region);
        for (String peer : peers.keySet()) {
            String previous = regionByCode.put(Ids.cellCode(peer), peer);
            if (previous != null) {
                throw new IllegalStateException("regions " + previous + " and " + peer + " share an id code");
            }
        }
    }

    private static String trimSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    public String region() {
        return region;
    }

    public String baseUrl() {
        return baseUrl;
    }

    public Map<String, String> peers() {
        return peers;
    }

    public String newId(String prefix) {
        return Ids.generate(prefix, code);
    }

    /**
     * Routes a request for {@code id}: returns normally when it lives here, throws 307 {@code wrong_region} when a
     * peer is its home, and 404 when it names no known cell or is not an id of that type at all.
     */
    public void requireLocal(String id, String prefix, String pathAndQuery) {
        String idCode = Ids.cellCodeOf(id, prefix).orElseThrow(ApiException::notFound);
        if (idCode.equals(code)) {
            return;
        }
        String home = regionByCode.get(idCode);
        if (home == null) {
            throw ApiException.notFound();
        }
        throw redirect(home, pathAndQuery);
    }

    /**
     * The peer region that is the home of {@code id}; empty when the id lives here, names no known cell or is not an
     * id of that type (those are routed as before: served here, or 404).
     */
    public Optional<String> peerHomeOf(String id, String prefix) {
        return Ids.cellCodeOf(id, prefix).filter(c -> !c.equals(code)).map(regionByCode::get);
    }

    /** For a create that names a region: empty when it is this cell, 307 for a peer, 422 for anything else. */
    public void requireLocalRegion(String requested, String pathAndQuery) {
        if (requested == null || requested.equals(region)) {
            return;
        }
        if (peers.containsKey(requested)) {
            throw redirect(requested, pathAndQuery);
        }
        List<String> known = new ArrayList<>(peers.keySet());
        known.add(region);
        known.sort(String::compareTo);
        throw new ApiException(422, "unknown_region", "No cell serves region '" + requested + "'.",
                List.of(new FieldError("region", "must be one of " + known)))
                .extension("known_regions", known);
    }

    private ApiException redirect(String home, String pathAndQuery) {
        String location = peers.get(home) + pathAndQuery;
        return new ApiException(307, "wrong_region",
                "This resource lives in region '" + home + "'; call that cell's base URL.")
                .header("Location", location)
                .header("X-Atrium-Region", home)
                .extension("region", home)
                .extension("location", location);
    }
}
