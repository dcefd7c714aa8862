package dev.atrium.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.atrium.it.CellDatabase;
import dev.atrium.it.PackagedCell;
import dev.atrium.it.TrustedKey;
import dev.atrium.support.Tokens;

/**
 * Constant memory, shown on the packaged application: a cell with a 96 MiB heap exports a workspace whose 100,000
 * events (about 1.2 KB each) add up to more than its whole heap, in every streamed format, and stays up.
 */
class ExportMemoryIT {

    private static final int EVENTS = 100_000;
    private static final long HEAP_BYTES = 96L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aWorkspaceLargerThanTheHeapIsExportedInFull() throws Exception {
        try (CellDatabase db = CellDatabase.start("export-memory");
                PackagedCell cell = PackagedCell.create("export-memory", "us-east-1", db).jvmOptions("-Xmx96m")
                        .start()) {
            String sub = Tokens.unique("big");
            String token = TrustedKey.user(sub);
            HttpResponse<String> created = HTTP.send(HttpRequest
                    .newBuilder(URI.create(cell.baseUrl() + "/v1/workspaces"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .header("Prefer", "wait=10")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"Big\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(201, created.statusCode(), created.body());
            Map<String, Object> ws = JSON.readValue(created.body(), new TypeReference<>() {
            });
            Object id = ws.get("id");
            db.rows("insert into events (id, type, occurred_at, actor, actor_id, organization_id, workspace_id,"
                    + " resource_type, resource_id, before, after, request_id)"
                    + " select 'evt_big' || lpad(g::text, 8, '0'), 'workspace.updated',"
                    + " timestamptz '2030-01-01 00:00:00+00' + (g / 1000) * interval '1 second',"
                    + " '{\"id\":\"system\",\"subject_type\":\"SYSTEM\",\"name\":\"Atrium\"}'::jsonb, 'system', ?, ?,"
                    + " 'workspace', ?, null,"
                    + " jsonb_build_object('name', 'After ' || g, 'description', repeat('x', 1000)),"
                    + " 'req_big_' || g from generate_series(1, " + EVENTS + ") g",
                    ws.get("organization_id"), id, id);
            // Fresh statistics, as autovacuum keeps them after a bulk change: the keyset reads then walk the index.
            db.rows("analyze events");
            long stored = db.count("select count(*) from events where workspace_id = ?", id);
            String path = cell.baseUrl() + "/v1/workspaces/" + id + "/export";

            // NDJSON: every record on its own line, the last one the count.
            Download ndjson = download(path, token);
            assertEquals(200, ndjson.status);
            long records = 1 + 1 + 3 + 1 + stored; // workspace, owner, environments, run, events
            assertEquals(records + 1, ndjson.lines);
            assertEquals(EVENTS, ndjson.events);
            assertEquals(Map.of("object", "export_end", "records", (int) records),
                    JSON.readValue(ndjson.last(), new TypeReference<Map<String, Object>>() {
                    }));
            assertTrue(ndjson.bytes > HEAP_BYTES, "the export (" + ndjson.bytes + " bytes) must exceed the whole heap ("
                    + HEAP_BYTES + " bytes) for this to prove anything");

            // JSON: one document, streamed the same way.
            Download json = download(path + "?format=json", token);
            assertEquals(200, json.status);
            assertTrue(json.last().endsWith(",\"records\":" + records + "}"), json.last());
            assertEquals(1, json.lines);
            assertEquals(EVENTS, json.events);

            // CSV of the events: a header and one line per event.
            Download csv = download(path + "?format=csv&entity=events", token);
            assertEquals(200, csv.status);
            assertEquals(stored + 1, csv.lines);

            assertTrue(cell.isRunning(), "the cell survived");
            assertFalse(cell.logTail(2000).contains("OutOfMemoryError"), cell.logTail(80));
            HttpResponse<String> ready = HTTP.send(
                    HttpRequest.newBuilder(URI.create(cell.managementUrl() + "/q/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ready.statusCode());
        }
    }

    private static final class Download {
        int status;
        long lines;
        long events;
        long bytes;
        String tail = "";

        /** The last complete line. */
        String last() {
            String t = tail.endsWith("\n") ? tail.substring(0, tail.length() - 1) : tail;
            return t.substring(t.lastIndexOf('\n') + 1);
        }
    }

    /** Reads the body as it arrives, keeping only counts and the last few kilobytes (a JSON document is one line). */
    private static Download download(String url, String token) throws IOException, InterruptedException {
        HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofMinutes(5)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        Download d = new Download();
        d.status = response.statusCode();
        byte[] pattern = "evt_big".getBytes(StandardCharsets.US_ASCII);
        int matched = 0;
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = response.body()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                d.bytes += n;
                for (int i = 0; i < n; i++) {
                    byte b = buffer[i];
                    if (b == '\n') {
                        d.lines++;
                    }
                    // "evt_big" has no repeated prefix, so a mismatch restarts the match at this byte.
                    matched = b == pattern[matched] ? matched + 1 : b == pattern[0] ? 1 : 0;
                    if (matched == pattern.length) {
                        d.events++;
                        matched = 0;
                    }
                }
                String chunk = new String(buffer, Math.max(0, n - 4096), Math.min(n, 4096), StandardCharsets.UTF_8);
                d.tail = (d.tail + chunk).substring(Math.max(0, d.tail.length() + chunk.length() - 4096));
            }
        }
        return d;
    }
}
