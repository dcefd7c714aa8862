package dev.atrium.cell;

import java.util.ArrayList;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.NonBlocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

@Path("/v1/regions")
@Authenticated
@Tag(name = "Regions")
@Produces(MediaType.APPLICATION_JSON)
public class RegionResource {

    private final Cells cells;

    public RegionResource(Cells cells) {
        this.cells = cells;
    }

    @Schema(name = "Region")
    public record RegionView(String region, String baseUrl, boolean current) {
    }

    // Answered from memory: on the event loop, not handed to a worker thread as a method without Uni would be.
    @GET
    @NonBlocking
    @Operation(operationId = "listRegions", summary = "Every cell and its base URL; call your workspace's own")
    public List<RegionView> list() {
        List<RegionView> out = new ArrayList<>();
        out.add(new RegionView(cells.region(), cells.baseUrl(), true));
        cells.peers().forEach((region, url) -> out.add(new RegionView(region, url, false)));
        out.sort((a, b) -> a.region().compareTo(b.region()));
        return out;
    }
}
