package dev.atrium.support;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Which authentication failure handler a request carries once the HTTP filters have run (priority 198, after Quarkus
 * REST's own at 199), for requests that ask with the {@link #HEADER} header; every other request passes untouched.
 * Lets a test see that Atrium's hand-over ran before Quarkus REST's, which a change of filter order would undo
 * without any answer changing.
 */
@ApplicationScoped
public class AuthFailureHandlerProbe {

    public static final String HEADER = "X-Test-Probe";
    private static final int AFTER_QUARKUS_REST = 198;
    private static final Map<String, String> SEEN = new ConcurrentHashMap<>();

    void install(@Observes Filters filters) {
        filters.register(ctx -> {
            String probe = ctx.request().getHeader(HEADER);
            if (probe != null) {
                Object handler = ctx.get(QuarkusHttpUser.AUTH_FAILURE_HANDLER);
                SEEN.put(probe, handler == null ? "none" : handler.getClass().getName());
            }
            ctx.next();
        }, AFTER_QUARKUS_REST);
    }

    /** The class of the handler the request sent with this probe value carried, null when none was seen. */
    public static String seen(String probe) {
        return SEEN.get(probe);
    }
}
