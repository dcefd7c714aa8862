package dev.atrium.common.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;

/**
 * The schema Flyway migrated for the tests has every table and column the entities map (what Hibernate's schema
 * validation checked at the tests' start before), and the check names what a schema lacks.
 */
@QuarkusTest
class SchemaCheckTest {

    static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    SchemaCheck check;

    @Test
    void theMigratedSchemaHasEverythingTheEntitiesMap() {
        assertEquals(List.of(), check.missing().await().atMost(WAIT));
    }

    @Test
    void theEntitiesMappingIsReadWhole() {
        Map<String, Set<String>> mapped = check.mapped();
        assertTrue(mapped.keySet().containsAll(Set.of("workspaces", "workspace_members", "organizations",
                "organization_members", "api_keys", "events", "invitations")), mapped.keySet().toString());
        assertTrue(mapped.get("workspaces").containsAll(Set.of("id", "organization_id", "failure_reason", "created_at")),
                mapped.get("workspaces").toString());
    }

    @Test
    void aDroppedColumnOrTableIsNamed() {
        Map<String, Set<String>> present = copy(check.present().await().atMost(WAIT));
        present.get("workspaces").remove("failure_reason");
        present.remove("api_keys");

        List<String> missing = SchemaCheck.missing(check.mapped(), present);

        assertEquals(List.of("table api_keys", "column workspaces.failure_reason"), missing);
    }

    private static Map<String, Set<String>> copy(Map<String, Set<String>> tables) {
        Map<String, Set<String>> copy = new TreeMap<>();
        tables.forEach((table, columns) -> copy.put(table, new TreeSet<>(columns)));
        return copy;
    }
}
