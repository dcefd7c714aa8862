package dev.atrium.common.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;

/**
 * The schema Flyway migrated for the tests has every table and column the entities map, of fitting types (what
 * Hibernate's schema validation checked at the tests' start before), and the check names what a schema lacks.
 */
@QuarkusTest
class SchemaCheckTest {

    static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    SchemaCheck check;

    @Test
    void theMigratedSchemaHasEverythingTheEntitiesMap() {
        assertEquals(List.of(), check.misfits().await().atMost(WAIT));
    }

    @Test
    void theEntitiesMappingIsReadWhole() {
        Map<String, Map<String, Integer>> mapped = check.mapped();
        assertTrue(mapped.keySet().containsAll(Set.of("workspaces", "workspace_members", "organizations",
                "organization_members", "api_keys", "events", "invitations")), mapped.keySet().toString());
        Map<String, Integer> workspaces = mapped.get("workspaces");
        assertTrue(workspaces.keySet().containsAll(Set.of("id", "organization_id", "failure_reason", "created_at")),
                workspaces.toString());
        // Every column's type is one the check knows, so that none is let through unchecked.
        mapped.forEach((table, columns) -> columns.forEach((column, typeCode) -> assertTrue(
                !SchemaCheck.fitting(typeCode).isEmpty(), table + "." + column + ": type code " + typeCode)));
    }

    @Test
    void aDroppedColumnOrTableOrAChangedTypeIsNamed() {
        Map<String, Map<String, String>> present = copy(check.present().await().atMost(WAIT));
        present.get("workspaces").remove("failure_reason");
        present.get("workspaces").put("created_at", "text");
        present.get("workspaces").put("name", "integer");
        present.remove("api_keys");

        List<String> misfits = SchemaCheck.misfits(check.mapped(), present);

        assertEquals(List.of("no table api_keys", "column workspaces.created_at is text, not timestamp with time zone",
                "no column workspaces.failure_reason",
                "column workspaces.name is integer, not character or character varying or text"), misfits);
    }

    private static Map<String, Map<String, String>> copy(Map<String, Map<String, String>> tables) {
        Map<String, Map<String, String>> copy = new TreeMap<>();
        tables.forEach((table, columns) -> copy.put(table, new TreeMap<>(columns)));
        return copy;
    }
}
