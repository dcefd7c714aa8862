package dev.atrium.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class UsagePathTest {

    private static final String ID = "ws_" + "abcd" + "0".repeat(26);

    @Test
    void aCallIsCountedForTheWorkspaceItsPathNames() {
        assertEquals(ID, UsageEdge.pathWorkspace("/v1/workspaces/" + ID));
        assertEquals(ID, UsageEdge.pathWorkspace("/v1/workspaces/" + ID + "/members"));
        assertEquals(ID, UsageEdge.pathWorkspace("/v1/workspaces/" + ID + "/"));
    }

    @Test
    void otherPathsNameNoWorkspace() {
        assertNull(UsageEdge.pathWorkspace(null));
        assertNull(UsageEdge.pathWorkspace("/v1/workspaces"));
        assertNull(UsageEdge.pathWorkspace("/v1/workspaces/invitations/pending"));
        assertNull(UsageEdge.pathWorkspace("/v1/workspaces/" + ID + "x"));
        assertNull(UsageEdge.pathWorkspace("/v1/workspaces/" + ID.substring(0, 32)));
        assertNull(UsageEdge.pathWorkspace("/v1/workspaces/" + ID.replace('0', '-')));
        assertNull(UsageEdge.pathWorkspace("/v1/organizations/" + ID));
        assertNull(UsageEdge.pathWorkspace("/v2/workspaces/" + ID));
    }
}
