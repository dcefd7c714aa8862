package dev.atrium.export;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.atrium.access.Access;
import dev.atrium.access.Permission;
import dev.atrium.common.security.Caller;
import dev.atrium.common.time.Clock;
import dev.atrium.export.ExportFormat.Entity;
import dev.atrium.organization.Organization;
import dev.atrium.workspace.Workspace;
import dev.atrium.workspace.WorkspaceMapper;
import dev.atrium.workspace.dto.WorkspaceView;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Exports a workspace: authorizes first (an export is a read, so frozen, archived and deleted workspaces can still be
 * exported), then streams every entity batch by batch. Each emitted chunk is one batch already encoded, so memory
 * stays at one batch whatever the workspace's size; {@link ExportStreamWriter} asks for the next chunk only when the
 * previous one is written, so the client's pace is the database's pace.
 */
@ApplicationScoped
public class ExportService {

    private static final Logger LOG = Logger.getLogger(ExportService.class);

    private final Access access;
    private final ExportReader reader;
    private final ObjectMapper json;

    public ExportService(Access access, ExportReader reader, ObjectMapper json) {
        this.access = access;
        this.reader = reader;
        this.json = json;
    }

    /** An authorized export, ready to stream. */
    public record Export(WorkspaceView workspace, ExportFormat.Request request, String fileName) {

        public String mediaType() {
            return request.format().mediaType();
        }

        public Map<String, String> headers() {
            return Map.of("Content-Disposition", "attachment; filename=\"" + fileName + "\"",
                    "Cache-Control", "no-store",
                    "X-Content-Type-Options", "nosniff");
        }
    }

    /** The final NDJSON record: a stream cut short lacks it, or carries a different count. */
    record End(String object, long records) {
    }

    public Uni<Export> open(Caller caller, String workspaceId, ExportFormat.Request request) {
        return Panache.withSession(() -> access.workspace(caller, workspaceId, Permission.EXPORT_READ)
                .flatMap(g -> Organization.<Organization>findById(g.workspace().organizationId())
                        .map(org -> new Export(WorkspaceMapper.view(Workspace.of(g.workspace()),
                                org == null ? null : org.name), request, fileName(Workspace.of(g.workspace()).slug,
                                        request)))));
    }

    static String fileName(String slug, ExportFormat.Request request) {
        String base = slug + "-" + LocalDate.ofInstant(Clock.now(), ZoneOffset.UTC);
        return request.format() == ExportFormat.CSV ? base + "-" + request.entity().wire() + ".csv"
                : base + request.format().extension();
    }

    /** The body of one download, read lazily as the writer asks for it; its record count belongs to it. */
    public Multi<byte[]> body(Export export) {
        String id = export.workspace().id();
        LOG.infof("export of %s as %s started", id, export.request().format().wire());
        Tally tally = new Tally();
        Multi<byte[]> body = switch (export.request().format()) {
            case NDJSON -> ndjson(export, tally);
            case JSON -> document(export, tally);
            case CSV -> csv(export, tally);
        };
        // A client that hangs up cancels the stream: no further batch is read.
        return body
                .onCompletion().invoke(() -> LOG.infof("export of %s finished: %d records", id, tally.records))
                .onCancellation().invoke(() -> LOG.infof("export of %s cancelled after %d records", id, tally.records))
                .onFailure().invoke(e -> LOG.errorf(e, "export of %s failed after %d records", id, tally.records));
    }

    private Multi<byte[]> ndjson(Export export, Tally tally) {
        String id = export.workspace().id();
        return concat(
                Multi.createFrom().item(() -> lines(tally, List.of(export.workspace()))),
                reader.members(id).map(b -> lines(tally, b)),
                reader.invitations(id).map(b -> lines(tally, b)),
                reader.apiKeys(id).map(b -> lines(tally, b)),
                reader.environments(id).map(b -> lines(tally, b)),
                reader.runs(id).map(b -> lines(tally, b)),
                reader.events(id).map(b -> lines(tally, b)),
                Multi.createFrom().item(() -> line(new End("export_end", tally.records))));
    }

    /** {@code {"object":"export","workspace":{...},"members":[...],...,"records":N}}, written as it is read. */
    private Multi<byte[]> document(Export export, Tally tally) {
        String id = export.workspace().id();
        return concat(
                Multi.createFrom().item(() -> {
                    tally.records++;
                    return concat("{\"object\":\"export\",\"workspace\":", encode(export.workspace()));
                }),
                section(tally, "members", reader.members(id)),
                section(tally, "invitations", reader.invitations(id)),
                section(tally, "api_keys", reader.apiKeys(id)),
                section(tally, "environments", reader.environments(id)),
                section(tally, "provisioning_runs", reader.runs(id)),
                section(tally, "events", reader.events(id)),
                Multi.createFrom().item(() -> ascii(",\"records\":" + tally.records + "}\n")));
    }

    private Multi<byte[]> section(Tally tally, String name, Multi<? extends List<?>> batches) {
        boolean[] first = { true };
        return concat(
                Multi.createFrom().item(() -> ascii(",\"" + name + "\":[")),
                batches.map(batch -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream(batch.size() * 512);
                    for (Object view : batch) {
                        if (!first[0]) {
                            out.write(',');
                        }
                        first[0] = false;
                        out.writeBytes(encode(view));
                        tally.records++;
                    }
                    return out.toByteArray();
                }),
                Multi.createFrom().item(() -> ascii("]")));
    }

    private Multi<byte[]> csv(Export export, Tally tally) {
        String id = export.workspace().id();
        Entity entity = export.request().entity();
        return switch (entity) {
            case MEMBERS -> csv(tally, Csv.MEMBERS, reader.members(id));
            case INVITATIONS -> csv(tally, Csv.INVITATIONS, reader.invitations(id));
            case API_KEYS -> csv(tally, Csv.API_KEYS, reader.apiKeys(id));
            case ENVIRONMENTS -> csv(tally, Csv.ENVIRONMENTS, reader.environments(id));
            case EVENTS -> csv(tally, Csv.EVENTS, reader.events(id));
        };
    }

    private static <T> Multi<byte[]> csv(Tally tally, Csv.Columns<T> columns, Multi<List<T>> batches) {
        return concat(
                Multi.createFrom().item(() -> utf8(columns.headerLine())),
                batches.map(batch -> {
                    StringBuilder out = new StringBuilder(batch.size() * 160);
                    batch.forEach(view -> out.append(columns.line(view)));
                    tally.records += batch.size();
                    return utf8(out.toString());
                }));
    }

    @SafeVarargs
    private static Multi<byte[]> concat(Multi<byte[]>... parts) {
        return Multi.createBy().concatenating().streams(parts);
    }

    private static byte[] concat(String prefix, byte[] rest) {
        byte[] head = ascii(prefix);
        byte[] out = new byte[head.length + rest.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(rest, 0, out, head.length, rest.length);
        return out;
    }

    private byte[] lines(Tally tally, List<?> views) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(views.size() * 512);
        for (Object view : views) {
            out.writeBytes(encode(view));
            out.write('\n');
            tally.records++;
        }
        return out.toByteArray();
    }

    private byte[] line(Object view) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(encode(view));
        out.write('\n');
        return out.toByteArray();
    }

    private byte[] encode(Object view) {
        try {
            return json.writeValueAsBytes(view);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an export record could not be written as JSON", e);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Records written so far in one download; the stream runs one batch at a time, so no locking. */
    private static final class Tally {
        long records;
    }
}
