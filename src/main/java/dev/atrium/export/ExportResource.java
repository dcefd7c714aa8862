package dev.atrium.export;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.atrium.access.AcceptsApiKeys;
import dev.atrium.common.security.Callers;
import dev.atrium.export.ExportStreamWriter.ExportStream;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Response;

/**
 * No {@code @Produces}: the format is chosen by the {@code format} parameter, and the response carries the matching
 * {@code Content-Type}. A refusal is an ordinary problem response; an authorized export streams through
 * {@link ExportStreamWriter}.
 */
@Path("/v1/workspaces/{workspace_id}/export")
@Authenticated
@Tag(name = "Export")
public class ExportResource {

    private final ExportService exports;
    private final Callers callers;
    private final ExportFormat defaultFormat;

    public ExportResource(ExportService exports, Callers callers,
            @ConfigProperty(name = "atrium.export.default-format", defaultValue = "ndjson") String defaultFormat) {
        this.exports = exports;
        this.callers = callers;
        this.defaultFormat = ExportFormat.configured(defaultFormat);
    }

    @GET
    @AcceptsApiKeys
    @Operation(operationId = "exportWorkspace", summary = "Stream everything of the workspace",
            description = "Without `format`, the cell's configured default (`atrium.export.default-format`, NDJSON "
                    + "unless set; with `csv`, `entity` is then required). "
                    + "NDJSON: one typed record per line (workspace, members, invitations, API keys,"
                    + " environments, provisioning runs, events) and a final"
                    + " `{\"object\":\"export_end\",\"records\":N}` line. `format=json`: one document."
                    + " `format=csv&entity=...`: RFC 4180, one entity per file."
                    + " Never carries tokens, secrets or their hashes.")
    @APIResponse(responseCode = "200", description = "The export, as an attachment",
            content = {
                    @Content(mediaType = ExportFormat.NDJSON_MEDIA_TYPE, schema = @Schema(type = SchemaType.STRING)),
                    @Content(mediaType = "application/json", schema = @Schema(type = SchemaType.OBJECT)),
                    @Content(mediaType = "text/csv", schema = @Schema(type = SchemaType.STRING)) })
    public Uni<Response> export(@PathParam("workspace_id") String workspaceId,
            @Parameter(description = "`ndjson`, `json` or `csv`; absent: the configured default",
                    schema = @Schema(enumeration = { "ndjson", "json", "csv" })) @QueryParam("format") String format,
            @Parameter(description = "With `format=csv` only, and required there",
                    schema = @Schema(enumeration = { "members", "invitations", "api_keys", "environments", "events" }))
            @QueryParam("entity") String entity) {
        ExportFormat.Request request = ExportFormat.parse(format, entity, defaultFormat);
        return exports.open(callers.current(), workspaceId, request).map(export -> {
            Response.ResponseBuilder ok = Response.ok(new ExportStream(exports.body(export))).type(export.mediaType());
            export.headers().forEach(ok::header);
            return ok.build();
        });
    }
}
