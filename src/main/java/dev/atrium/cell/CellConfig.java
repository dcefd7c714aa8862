package dev.atrium.cell;

import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The cell this process serves, and the peers it routes to. */
@ConfigMapping(prefix = "atrium.cell")
public interface CellConfig {

    /** This cell's region, for example {@code eu-west-1}. Immutable for the life of the cell's data. */
    @WithDefault("local")
    String region();

    /**
     * The public base URL of this cell, announced by {@code GET /v1/regions}. Required: no URL the service hands out
     * is taken from a request's {@code Host} header.
     */
    String baseUrl();

    /** Peer cells: region to base URL. */
    Map<String, String> peers();

    /**
     * Peer cells as one value, {@code eu-west-1=https://...,ap-southeast-2=https://...}: the form an environment
     * variable ({@code ATRIUM_CELL_PEER_LIST}) can carry, since variable names cannot hold a region's hyphens.
     */
    Optional<String> peerList();
}
