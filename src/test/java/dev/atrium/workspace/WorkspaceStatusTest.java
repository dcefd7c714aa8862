package dev.atrium.workspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.atrium.common.problem.ApiException;

/** The workspace status machine of the contract, checked transition by transition without a running service. */
class WorkspaceStatusTest {

    /** API.md, "Status machine". */
    private static final Map<WorkspaceStatus, Set<WorkspaceStatus>> CONTRACT = Map.of(
            WorkspaceStatus.PROVISIONING, EnumSet.of(WorkspaceStatus.ACTIVE, WorkspaceStatus.FAILED),
            WorkspaceStatus.ACTIVE, EnumSet.of(WorkspaceStatus.FROZEN, WorkspaceStatus.ARCHIVED,
                    WorkspaceStatus.DELETING),
            WorkspaceStatus.FROZEN, EnumSet.of(WorkspaceStatus.ACTIVE, WorkspaceStatus.DELETING),
            WorkspaceStatus.ARCHIVED, EnumSet.of(WorkspaceStatus.ACTIVE, WorkspaceStatus.DELETING),
            WorkspaceStatus.FAILED, EnumSet.of(WorkspaceStatus.PROVISIONING, WorkspaceStatus.DELETING),
            WorkspaceStatus.DELETING, EnumSet.of(WorkspaceStatus.DELETED),
            WorkspaceStatus.DELETED, EnumSet.of(WorkspaceStatus.ACTIVE, WorkspaceStatus.FROZEN,
                    WorkspaceStatus.ARCHIVED, WorkspaceStatus.FAILED));

    @Test
    void everyPairIsAllowedExactlyWhenTheContractSaysSo() {
        for (WorkspaceStatus from : WorkspaceStatus.values()) {
            for (WorkspaceStatus to : WorkspaceStatus.values()) {
                assertEquals(CONTRACT.get(from).contains(to), from.canMoveTo(to), from + " -> " + to);
            }
        }
    }

    @Test
    void aRefusedTransitionIs409NamingTheCurrentStatus() {
        Workspace ws = new Workspace();
        ws.status = "archived";
        ApiException e = assertThrows(ApiException.class, () -> WorkspaceStatus.transition(ws, WorkspaceStatus.FROZEN));
        assertEquals(409, e.status());
        assertEquals("invalid_state_transition", e.code());
        assertTrue(e.getMessage().contains("archived"), e.getMessage());
        assertEquals("archived", ws.status);
        WorkspaceStatus.transition(ws, WorkspaceStatus.ACTIVE);
        assertEquals("active", ws.status);
    }

    @Test
    void writesAreRefusedWhileArchivedFrozenOrDeleted() {
        Workspace ws = new Workspace();
        ws.status = "archived";
        assertEquals("workspace_archived", assertThrows(ApiException.class, ws::requireWritable).code());
        ws.status = "frozen";
        assertEquals(423, assertThrows(ApiException.class, ws::requireWritable).status());
        ws.requireNotDeleted(); // leaving and removing members stay allowed while frozen
        ws.status = "deleting";
        assertEquals("invalid_state_transition", assertThrows(ApiException.class, ws::requireNotDeleted).code());
        ws.status = "active";
        ws.requireWritable();
    }

    @Test
    void wireNamesRoundTrip() {
        for (WorkspaceStatus s : WorkspaceStatus.values()) {
            assertEquals(s, WorkspaceStatus.parse(s.wire()).orElseThrow());
        }
        assertFalse(WorkspaceStatus.parse("ACTIVE").isPresent());
    }
}
