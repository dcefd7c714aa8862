package dev.atrium.apikey;

import java.time.Instant;
import java.util.List;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** The API key domain's list reads, one statement each; run in the caller's session. */
@ApplicationScoped
public class ApiKeyQueries {

    /**
     * A page of a workspace's keys, newest first ({@code created_at}, then id), after the position
     * {@code (afterCreatedAt, afterId)} when given; one row more than {@code limit} tells a next page exists.
     */
    public Uni<List<ApiKey>> page(String workspaceId, Instant afterCreatedAt, String afterId, int limit) {
        if (afterCreatedAt == null) {
            return ApiKey.<ApiKey>find("workspaceId = ?1 order by createdAt desc, id desc", workspaceId)
                    .range(0, limit).list();
        }
        return ApiKey.<ApiKey>find("workspaceId = ?1 and (createdAt, id) < (?2, ?3)"
                + " order by createdAt desc, id desc", workspaceId, afterCreatedAt, afterId).range(0, limit).list();
    }
}
