package dev.atrium.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.microprofile.openapi.annotations.Operation;

import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;

/**
 * The dataplane API of the test profile ({@code atrium.provisioning.dataplane.url} points here), served by the
 * application under test so the saga's dataplane step makes real HTTP calls. It behaves like a well-made dataplane:
 * a repeated {@code Idempotency-Key} does nothing new. Tests script failures per workspace name and read what
 * arrived. Absent from the OpenAPI document.
 */
@Path("/test-dataplane/workspaces/{id}")
@PermitAll
public class FakeDataplane {

    /** One call as it arrived, with the W3C {@code traceparent} it carried ({@code null}: none). */
    public record Call(String method, String workspaceId, String idempotencyKey, int status, String traceparent) {
    }

    private record Script(AtomicInteger failuresLeft, int status, long delayMillis) {
    }

    private static final Map<String, Script> SCRIPTS = new ConcurrentHashMap<>();
    private static final Map<String, String> NAMES = new ConcurrentHashMap<>();
    private static final List<Call> CALLS = new CopyOnWriteArrayList<>();
    private static final Set<String> EFFECTS = ConcurrentHashMap.newKeySet();
    private static final Map<String, AtomicInteger> PROVISIONED = new ConcurrentHashMap<>();

    /** The next {@code times} calls for the workspace named {@code name} answer {@code status}. */
    public static void fail(String name, int times, int status) {
        SCRIPTS.put(name, new Script(new AtomicInteger(times), status, 0));
    }

    /**
     * The next {@code times} calls for {@code name} do their work but answer 200 only after {@code millis}, as a
     * dataplane behind a slow network does: the caller may time out on work that happened.
     */
    public static void slow(String name, int times, long millis) {
        SCRIPTS.put(name, new Script(new AtomicInteger(times), 200, millis));
    }

    /** Calls for {@code name} succeed again. */
    public static void heal(String name) {
        SCRIPTS.remove(name);
    }

    public static List<Call> calls(String workspaceId) {
        List<Call> out = new ArrayList<>();
        for (Call c : CALLS) {
            if (c.workspaceId().equals(workspaceId)) {
                out.add(c);
            }
        }
        return out;
    }

    /** How many times the workspace's resources were actually created (repeated keys excluded). */
    public static int provisioned(String workspaceId) {
        AtomicInteger n = PROVISIONED.get(workspaceId);
        return n == null ? 0 : n.get();
    }

    @PUT
    @Operation(hidden = true)
    public Uni<Response> provision(@PathParam("id") String id, @HeaderParam("Idempotency-Key") String key,
            @HeaderParam("traceparent") String traceparent, Map<String, Object> body) {
        NAMES.put(id, String.valueOf(body.get("name")));
        return answer("PUT", id, key, traceparent);
    }

    @DELETE
    @Operation(hidden = true)
    public Uni<Response> deprovision(@PathParam("id") String id, @HeaderParam("Idempotency-Key") String key,
            @HeaderParam("traceparent") String traceparent) {
        return answer("DELETE", id, key, traceparent);
    }

    private Uni<Response> answer(String method, String id, String key, String traceparent) {
        Script script = SCRIPTS.get(NAMES.getOrDefault(id, ""));
        int status = 200;
        boolean scripted = script != null && script.failuresLeft().getAndDecrement() > 0;
        if (scripted) {
            status = script.status();
        }
        if (key == null || key.isBlank()) {
            status = 400;
        }
        if (status == 200 && EFFECTS.add(method + " " + key) && method.equals("PUT")) {
            PROVISIONED.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        }
        CALLS.add(new Call(method, id, key, status, traceparent));
        Uni<Response> response = Uni.createFrom().item(Response.status(status).build());
        return scripted && script.delayMillis() > 0
                ? response.onItem().delayIt().by(java.time.Duration.ofMillis(script.delayMillis()))
                : response;
    }
}
