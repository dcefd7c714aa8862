package dev.atrium.common.web;

import java.util.List;

import dev.atrium.common.paging.Paging;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

/** Lists are JSON arrays; the next page, when there is one, is announced in an RFC 8288 {@code Link} header. */
public final class Lists {
    private Lists() {
    }

    public static Response respond(List<?> items, String nextCursor, UriInfo uri) {
        Response.ResponseBuilder b = Response.ok(items);
        if (nextCursor != null) {
            b.header("Link", Paging.nextLink(uri.getRequestUri().getRawPath(), uri.getRequestUri().getRawQuery(),
                    nextCursor));
        }
        return b.build();
    }
}
