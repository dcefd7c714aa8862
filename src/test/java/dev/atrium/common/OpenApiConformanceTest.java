package dev.atrium.common;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.atrium.support.Api;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.builder.ResponseBuilder;
import io.restassured.filter.Filter;
import io.restassured.response.Response;

/**
 * The document and the wire cannot drift apart: an answer that strays from the served OpenAPI document fails the
 * test that received it (proved here by altering real answers on their way to the test), and the document names
 * what the wire carries (snake_case, timestamps with six fraction digits, both bearer schemes, problem codes).
 */
@QuarkusTest
class OpenApiConformanceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SNAKE = Pattern.compile("^[a-z][a-z0-9]*(_[a-z0-9]+)*$");

    @Test
    void aRealAnswerThatStraysFromTheDocumentFailsTheCall() {
        String token = Tokens.user(Tokens.unique("drift"));
        String path = "/v1/workspaces/" + Api.activeWorkspace(token).get("id");
        // Untouched, the answer matches.
        Api.as(token).get(path).then().statusCode(200);

        assertDrift(token, path, body -> body.put("organizationId", "org_x"), "organizationId");
        assertDrift(token, path, body -> {
            body.remove("account_id");
            return body;
        }, "account_id");
        assertDrift(token, path, body -> body.put("created_at", "2025-10-29T00:40:06Z"), "created_at");
        assertDrift(token, path, body -> body.put("status", "sleeping"), "status");
        assertDrift(token, path, body -> {
            body.putObject("metadata").putObject("nested").put("a", 1);
            return body;
        }, "metadata");
        AssertionError status = assertThrows(AssertionError.class, () -> Api.as(token)
                .filter(alter(r -> new ResponseBuilder().clone(r).setStatusCode(418).build())).get(path));
        assertTrue(status.getMessage().contains("418"), status.getMessage());
        AssertionError header = assertThrows(AssertionError.class, () -> Api.as(token)
                .filter(alter(r -> {
                    ResponseBuilder b = new ResponseBuilder().clone(r);
                    List<io.restassured.http.Header> kept = new ArrayList<>();
                    r.getHeaders().forEach(h -> {
                        if (!h.getName().equalsIgnoreCase("Request-Id")) {
                            kept.add(h);
                        }
                    });
                    return b.setHeaders(new io.restassured.http.Headers(kept)).build();
                })).get(path));
        assertTrue(header.getMessage().contains("Request-Id"), header.getMessage());
    }

    @Test
    void aRequestTheDocumentDoesNotAllowFailsTheCallUnlessMarked() {
        String token = Tokens.user(Tokens.unique("drift"));
        AssertionError e = assertThrows(AssertionError.class,
                () -> Api.as(token).body(Map.of("name", "x", "billingMode", "pooled")).post("/v1/workspaces"));
        assertTrue(e.getMessage().contains("billingMode"), e.getMessage());
    }

    @Test
    void theDocumentNamesWhatTheWireCarries() throws Exception {
        JsonNode doc = JSON.readTree(given().accept("application/json").get("/q/openapi").asString());
        assertEquals("3.0.3", doc.path("openapi").asText());
        List<String> problems = new ArrayList<>();
        doc.path("components").path("schemas").fields().forEachRemaining(schema -> {
            String name = schema.getKey();
            boolean foreign = name.startsWith("Astronomer") || name.startsWith("Recoup");
            schema.getValue().path("properties").fields().forEachRemaining(p -> {
                if (!foreign && !SNAKE.matcher(p.getKey()).matches()) {
                    problems.add(name + "." + p.getKey() + " is not snake_case");
                }
                if (List.of("value_node", "container_node", "node_type", "valueNode").contains(p.getKey())) {
                    problems.add(name + "." + p.getKey() + " describes a JSON library class");
                }
                JsonNode property = p.getValue();
                if ("date-time".equals(property.path("format").asText()) && !foreign
                        && !property.path("pattern").asText().contains("[0-9]{6}Z")
                        && !name.endsWith("Request")) {
                    problems.add(name + "." + p.getKey() + " is a timestamp without its six fraction digits");
                }
            });
        });
        JsonNode workspace = doc.path("components").path("schemas").path("Workspace");
        JsonNode metadataValue = workspace.path("properties").path("metadata").path("additionalProperties");
        assertEquals(500, metadataValue.path("maxLength").asInt(), workspace.toString());
        assertTrue(workspace.path("required").toString().contains("\"account_id\""), workspace.toString());
        assertTrue(doc.path("components").path("securitySchemes").has("jwt"));
        assertTrue(doc.path("components").path("securitySchemes").has("api_key"));
        doc.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
            String where = op.getKey().toUpperCase() + " " + path.getKey();
            if (!op.getValue().path("security").toString().contains("\"jwt\"")) {
                problems.add(where + " does not name the JWT scheme");
            }
            if (path.getKey().startsWith("/v1")) {
                JsonNode answer = op.getValue().path("responses").path("401");
                if (answer.has("$ref")) {
                    String shared = answer.path("$ref").asText();
                    answer = doc.path("components").path("responses")
                            .path(shared.substring(shared.lastIndexOf('/') + 1));
                }
                String ref = answer.path("content").path("application/problem+json").path("schema").path("$ref")
                        .asText();
                JsonNode codes = doc.path("components").path("schemas")
                        .path(ref.substring(ref.lastIndexOf('/') + 1)).path("properties").path("code").path("enum");
                if (!codes.toString().equals("[\"unauthenticated\"]")) {
                    problems.add(where + " does not list the code of its 401: " + ref + " " + codes);
                }
            }
        }));
        JsonNode exportSecurity = doc.path("paths").path("/v1/workspaces/{workspace_id}/export").path("get")
                .path("security");
        assertTrue(exportSecurity.toString().contains("\"api_key\""), exportSecurity.toString());
        JsonNode meSecurity = doc.path("paths").path("/v1/me").path("get").path("security");
        assertTrue(!meSecurity.toString().contains("\"api_key\""), meSecurity.toString());
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    private static void assertDrift(String token, String path, UnaryOperator<ObjectNode> change, String named) {
        AssertionError e = assertThrows(AssertionError.class, () -> Api.as(token).filter(alter(r -> {
            try {
                ObjectNode body = (ObjectNode) JSON.readTree(r.asString());
                return new ResponseBuilder().clone(r).setBody(JSON.writeValueAsString(change.apply(body))).build();
            } catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        })).get(path), "an answer with " + named + " altered passed the contract check");
        assertTrue(e.getMessage().contains("does not match the OpenAPI document") && e.getMessage().contains(named),
                e.getMessage());
    }

    /** Alters the real answer after it left the service and before the contract check reads it. */
    private static Filter alter(UnaryOperator<Response> change) {
        return (request, response, ctx) -> change.apply(ctx.next(request, response));
    }
}
