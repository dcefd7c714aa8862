package dev.atrium.cell;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * How this cell talks to its peers. A mapping of its own beside {@link CellConfig} (same {@code atrium.cell} prefix),
 * so code that builds a {@link CellConfig} by hand is not affected by these settings.
 */
@ConfigMapping(prefix = "atrium.cell")
public interface PeerConfig {

    /** Connect and read timeout of one call to a peer; also the deadline of each region in a fan-out. */
    @WithDefault("2s")
    Duration peerTimeout();

    /** How long a caller's role in an organization homed elsewhere is reused. At most 30 s (checked at start). */
    @WithDefault("30s")
    Duration roleCacheTtl();

    /** Plain-HTTP peer URLs are refused at start unless this is set; only dev and tests set it. */
    @WithDefault("false")
    boolean allowInsecurePeers();

    /** The cell that holds users' personal organizations; this cell when unset. */
    Optional<String> directoryRegion();

    /** Consecutive failed calls after which a peer's circuit opens. */
    @WithDefault("5")
    int breakerFailures();

    /** How long an open circuit refuses calls before one probe is let through. */
    @WithDefault("30s")
    Duration breakerOpenFor();
}
