package dev.atrium.support;

import static io.restassured.RestAssured.given;

import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.ConfigProvider;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/** Small helpers over rest-assured so tests read as the calls a client makes. */
public final class Api {

    private Api() {
    }

    public static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token).contentType(ContentType.JSON)
                .accept(ContentType.JSON);
    }

    /**
     * A request to the management interface (health, metrics), which listens on a port of its own, never on the
     * public one. Tests run it on {@code quarkus.management.test-port} (9001 unless set).
     */
    public static RequestSpecification management() {
        int port = ConfigProvider.getConfig().getOptionalValue("quarkus.management.test-port", Integer.class)
                .orElse(9001);
        return given().baseUri("http://localhost").port(port);
    }

    /** Creates an active workspace for {@code token}'s user and returns its body. */
    public static Map<String, Object> activeWorkspace(String token, Map<String, Object> body) {
        Response r = as(token).header("Prefer", "wait=10").body(body).post("/v1/workspaces");
        if (r.statusCode() != 201) {
            throw new AssertionError("expected 201, got " + r.statusCode() + ": " + r.asString());
        }
        return r.jsonPath().getMap("");
    }

    public static Map<String, Object> activeWorkspace(String token) {
        return activeWorkspace(token, Map.of("name", "WS " + System.nanoTime()));
    }

    /** Creates an active workspace through {@code createPath} (an organization's, say) and returns its body. */
    public static Map<String, Object> activeWorkspace(String token, String createPath) {
        Response r = as(token).header("Prefer", "wait=10").body(Map.of("name", "WS " + System.nanoTime()))
                .post(createPath);
        if (r.statusCode() != 201) {
            throw new AssertionError("expected 201, got " + r.statusCode() + ": " + r.asString());
        }
        return r.jsonPath().getMap("");
    }

    public static Map<String, Object> organization(String token, String name) {
        Response r = as(token).body(Map.of("name", name)).post("/v1/organizations");
        if (r.statusCode() != 201) {
            throw new AssertionError("expected 201, got " + r.statusCode() + ": " + r.asString());
        }
        return r.jsonPath().getMap("");
    }

    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> list(Response r) {
        return (List<Map<String, Object>>) (List<?>) r.jsonPath().getList("");
    }
}
