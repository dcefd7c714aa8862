package dev.atrium.common;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.quarkus.test.junit.QuarkusTest;

/**
 * The OpenAPI document is generated from the code; a committed copy makes every API change visible in review.
 * After an intended change, regenerate the copy with {@code ./mvnw verify -Datrium.openapi.update=true}.
 */
@QuarkusTest
class OpenApiDocumentTest {

    static final Path COMMITTED = Path.of("src/test/resources/openapi/atrium-v1.json");

    @Test
    void generatedDocumentMatchesTheCommittedCopy() throws Exception {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
        String body = given().accept("application/json").get("/q/openapi").then().statusCode(200).extract()
                .asString();
        JsonNode generated = mapper.readTree(body);
        String pretty = mapper.writeValueAsString(mapper.treeToValue(generated, Object.class)) + "\n";
        if (Boolean.getBoolean("atrium.openapi.update")) {
            Files.createDirectories(COMMITTED.getParent());
            Files.writeString(COMMITTED, pretty);
        }
        Path fresh = Path.of("target", "openapi", "atrium-v1.json");
        Files.createDirectories(fresh.getParent());
        Files.writeString(fresh, pretty);
        assertTrue(Files.exists(COMMITTED), "no committed OpenAPI copy; run with -Datrium.openapi.update=true");
        JsonNode committed = mapper.readTree(Files.readString(COMMITTED));
        assertEquals(committed, generated, "the API changed: review " + fresh + " and, if intended, rerun with"
                + " -Datrium.openapi.update=true to update " + COMMITTED);
    }

    @Test
    void everyOperationHasAStableIdAndDocumentsItsProblems() throws Exception {
        JsonNode doc = new ObjectMapper().readTree(given().accept("application/json").get("/q/openapi").asString());
        doc.path("paths").fields().forEachRemaining(path -> {
            if (!path.getKey().startsWith("/v1")) {
                return;
            }
            path.getValue().fields().forEachRemaining(op -> {
                String where = op.getKey() + " " + path.getKey();
                assertTrue(op.getValue().path("operationId").isTextual(), where + " has no operationId");
                assertTrue(op.getValue().path("responses").has("401"), where + " does not document 401");
                assertTrue(op.getValue().path("security").isArray(), where + " names no security scheme");
                op.getValue().path("responses").fields().forEachRemaining(r -> answer(where + " " + r.getKey(),
                        r.getValue()));
            });
        });
        doc.path("components").path("responses").fields().forEachRemaining(r -> answer(r.getKey(), r.getValue()));
    }

    /**
     * An answer's headers each say what they carry and have the schema OpenAPI requires; its description names each
     * problem code once (the document's filter appends the codes it lists, so a description that names them too
     * repeats them).
     */
    private static void answer(String where, JsonNode response) {
        response.path("headers").fields().forEachRemaining(h -> {
            if (!h.getValue().has("$ref")) {
                assertTrue(h.getValue().path("schema").isObject(), where + ": header " + h.getKey() + " has no schema");
                assertTrue(h.getValue().path("description").isTextual(), where + ": header " + h.getKey()
                        + " is not described");
            }
        });
        List<String> codes = new ArrayList<>();
        Matcher m = CODE.matcher(response.path("description").asText());
        while (m.find()) {
            codes.add(m.group(1));
        }
        assertEquals(codes.stream().distinct().toList(), codes, where + " names a code twice: "
                + response.path("description").asText());
    }

    private static final Pattern CODE = Pattern.compile("`([a-z]+(?:_[a-z]+)*)`");
}
