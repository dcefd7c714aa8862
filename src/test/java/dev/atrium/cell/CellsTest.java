package dev.atrium.cell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.atrium.common.id.Ids;
import dev.atrium.common.problem.ApiException;

class CellsTest {

    static CellConfig config(String region, Map<String, String> peers, String peerList) {
        return new CellConfig() {
            public String region() {
                return region;
            }

            public String baseUrl() {
                return "https://" + region + ".atrium.test";
            }

            public Map<String, String> peers() {
                return peers;
            }

            public Optional<String> peerList() {
                return Optional.ofNullable(peerList);
            }
        };
    }

    @Test
    void peerListAndMapMerge() {
        Cells cells = new Cells(config("us-east-1", Map.of("eu-west-1", "https://eu.example/"),
                "ap-southeast-2=https://ap.example, sa-east-1=https://sa.example"));
        assertEquals(Map.of("eu-west-1", "https://eu.example", "ap-southeast-2", "https://ap.example",
                "sa-east-1", "https://sa.example"), cells.peers());
    }

    @Test
    void badPeerNamesStopTheCell() {
        assertThrows(IllegalStateException.class, () -> new Cells(config("us-east-1", Map.of("eu.west.1", "x"), null)));
        assertThrows(IllegalStateException.class, () -> new Cells(config("us-east-1", Map.of(), "eu-west-1")));
        assertThrows(IllegalStateException.class, () -> new Cells(config("US_EAST", Map.of(), null)));
    }

    @Test
    void idsNameTheirCellAndSortByTime() throws Exception {
        Cells us = new Cells(config("us-east-1", Map.of("eu-west-1", "https://eu.example"), null));
        Cells eu = new Cells(config("eu-west-1", Map.of(), null));
        String first = us.newId("ws");
        Thread.sleep(2);
        String second = us.newId("ws");
        assertTrue(first.compareTo(second) < 0);
        assertEquals(3 + Ids.BODY_LENGTH, first.length());
        assertEquals(Optional.of(Ids.cellCode("us-east-1")), Ids.cellCodeOf(first, "ws"));
        us.requireLocal(first, "ws", "/v1/workspaces/" + first);
        ApiException redirect = assertThrows(ApiException.class,
                () -> us.requireLocal(eu.newId("ws"), "ws", "/v1/workspaces/x?y=1"));
        assertEquals(307, redirect.status());
        assertEquals("https://eu.example/v1/workspaces/x?y=1", redirect.headers().get("Location"));
        assertEquals(404, assertThrows(ApiException.class, () -> us.requireLocal(first, "org", "/")).status());
        assertEquals(404, assertThrows(ApiException.class,
                () -> us.requireLocal(new Cells(config("ap-east-9", Map.of(), null)).newId("ws"), "ws", "/")).status());
    }

    @Test
    void cellCodesOfKnownRegionsDiffer() {
        Set<String> codes = new HashSet<>();
        for (String r : new String[] { "us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2",
                "eu-central-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1", "local" }) {
            assertTrue(codes.add(Ids.cellCode(r)), r);
        }
        assertNotEquals(Ids.cellCode("us-east-1"), Ids.cellCode("eu-west-1"));
    }

    @Test
    void unknownRegionIs422AndPeerIs307() {
        Cells cells = new Cells(config("us-east-1", Map.of("eu-west-1", "https://eu.example"), null));
        cells.requireLocalRegion(null, "/v1/workspaces");
        cells.requireLocalRegion("us-east-1", "/v1/workspaces");
        assertEquals(307, assertThrows(ApiException.class,
                () -> cells.requireLocalRegion("eu-west-1", "/v1/workspaces")).status());
        assertEquals(422, assertThrows(ApiException.class,
                () -> cells.requireLocalRegion("mars-1", "/v1/workspaces")).status());
    }

    @Test
    void aCellWithoutAnAbsoluteBaseUrlRefusesToStart() {
        for (String bad : java.util.List.of("", "localhost:8080", "ftp://x.example", "https://", "https://a b.example")) {
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> new Cells(withBaseUrl(bad)), bad);
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("ATRIUM_CELL_BASE_URL"));
        }
        assertEquals("https://us.example/api", new Cells(withBaseUrl("https://us.example/api/")).baseUrl());
    }

    private static CellConfig withBaseUrl(String baseUrl) {
        return new CellConfig() {
            public String region() {
                return "us-east-1";
            }

            public String baseUrl() {
                return baseUrl;
            }

            public Map<String, String> peers() {
                return Map.of();
            }

            public Optional<String> peerList() {
                return Optional.empty();
            }
        };
    }
}
