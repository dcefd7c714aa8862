package dev.atrium.common.web;

import java.util.List;
import java.util.Map;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import dev.atrium.common.problem.ApiException;
import dev.atrium.common.problem.FieldError;
import dev.atrium.common.text.Text;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MultivaluedMap;

/**
 * Refuses path and query parameters (names and decoded values) that PostgreSQL could not store, and query values
 * longer than any filter, cursor or id needs, before any endpoint runs: 400 {@code validation_failed} naming the
 * parameter. Bodies are checked while they are read ({@code common/json/StorableText}).
 */
public class RequestText {

    /** The longest query value any list accepts (composite cursors of {@code ?regions=all} included). */
    public static final int MAX_QUERY_VALUE = 512;

    @ServerRequestFilter
    public void check(ContainerRequestContext request, HttpServerRequest http) {
        // Only percent-encoding can put what PostgreSQL refuses into a decoded parameter; a path without any (most
        // requests) and an empty query need no decoded maps built.
        String rawPath = http.path();
        if (rawPath == null || rawPath.indexOf('%') >= 0 || !Text.storable(rawPath)) {
            check(request.getUriInfo().getPathParameters(), false);
        }
        String rawQuery = http.query();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            check(request.getUriInfo().getQueryParameters(), true);
        }
    }

    private static void check(MultivaluedMap<String, String> parameters, boolean query) {
        for (Map.Entry<String, List<String>> p : parameters.entrySet()) {
            if (!Text.storable(p.getKey())) {
                throw ApiException.validation(List.of(new FieldError(query ? "query" : "path", Text.UNSTORABLE)));
            }
            for (String value : p.getValue()) {
                if (!Text.storable(value)) {
                    throw ApiException.validation(List.of(new FieldError(p.getKey(), Text.UNSTORABLE)));
                }
                if (query && value.length() > MAX_QUERY_VALUE) {
                    throw ApiException.validation(List.of(new FieldError(p.getKey(),
                            "at most " + MAX_QUERY_VALUE + " characters")));
                }
            }
        }
    }
}
