package dev.atrium.audit;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.atrium.audit.dto.EventView;
import dev.atrium.common.paging.Paging;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.problem.Problem;
import dev.atrium.common.security.Callers;
import dev.atrium.common.web.ProblemCodes;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

@Path("/v1/events")
@Authenticated
@Tag(name = "Events")
@Produces(MediaType.APPLICATION_JSON)
public class EventFeedResource {

    private final EventFeed feed;
    private final Callers callers;

    public EventFeedResource(EventFeed feed, Callers callers) {
        this.feed = feed;
        this.callers = callers;
    }

    @GET
    @ProblemCodes({ "cursor_expired", "invalid_cursor" })
    @Operation(operationId = "listEvents", summary = "Every event of this cell in commit order, oldest first",
            description = "For services with `atrium:events:read`. Follow the `Link: rel=\"next\"` header, which is "
                    + "sent on every page, empty ones included; no committed event is skipped or repeated.")
    @APIResponse(responseCode = "200", description = "A page of events, oldest first; `Link` names the next page",
            content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = EventView.class)),
            headers = @Header(name = "Link", description = "The next page: `<...>; rel=\"next\"`"))
    @APIResponse(responseCode = "410", description = "The cursor is older than the retention window",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(ref = "Problem")))
    public Uni<Response> list(
            @Parameter(description = "Cursor from the previous page's `Link`; without it, the oldest retained event")
            @QueryParam("after") String after,
            @Parameter(description = "1 to 1000, default 100") @QueryParam("limit") String limit,
            @Parameter(description = "Exact type, or a prefix such as `member.*`") @QueryParam("type") String type,
            @Parameter(description = "Seconds (0 to 30) to wait for an event when there is none yet")
            @QueryParam("wait") String wait,
            @Context UriInfo uri) {
        feed.authorize(callers.current().principal());
        int pageSize = Paging.limit(limit, 100);
        int waitSeconds = waitSeconds(wait);
        return feed.read(after, pageSize, type, waitSeconds).map(batch -> Response.ok(batch.events())
                .header("Link", next(uri.getRequestUri().getRawPath(), batch.next(), pageSize, type, wait))
                .build());
    }

    private static int waitSeconds(String raw) {
        if (raw == null || raw.isEmpty()) {
            return 0;
        }
        try {
            int value = Integer.parseInt(raw);
            if (value >= 0 && value <= EventFeed.MAX_WAIT_SECONDS) {
                return value;
            }
        } catch (NumberFormatException e) {
            // falls through to the problem below
        }
        throw ApiException.validation("wait", "must be an integer from 0 to " + EventFeed.MAX_WAIT_SECONDS);
    }

    /** The same request from the next position; without one yet (nothing served), the same request again. */
    private static String next(String path, String cursor, int limit, String type, String wait) {
        StringBuilder sb = new StringBuilder(path).append('?');
        if (cursor != null) {
            sb.append("after=").append(encode(cursor)).append('&');
        }
        sb.append("limit=").append(limit);
        if (type != null) {
            sb.append("&type=").append(encode(type));
        }
        if (wait != null && !wait.isEmpty()) {
            sb.append("&wait=").append(encode(wait));
        }
        return "<" + sb + ">; rel=\"next\"";
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
