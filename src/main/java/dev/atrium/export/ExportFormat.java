package dev.atrium.export;

import java.util.Arrays;
import java.util.stream.Collectors;

import dev.atrium.common.problem.Violations;

/** The three shapes of an export, and for CSV the one entity a file holds. */
public enum ExportFormat {
    NDJSON("ndjson", ExportFormat.NDJSON_MEDIA_TYPE, ".ndjson"),
    JSON("json", "application/json", ".json"),
    CSV("csv", "text/csv; charset=utf-8", ".csv");

    public static final String NDJSON_MEDIA_TYPE = "application/x-ndjson";

    private final String wire;
    private final String mediaType;
    private final String extension;

    ExportFormat(String wire, String mediaType, String extension) {
        this.wire = wire;
        this.mediaType = mediaType;
        this.extension = extension;
    }

    public String wire() {
        return wire;
    }

    public String mediaType() {
        return mediaType;
    }

    public String extension() {
        return extension;
    }

    /** What a CSV export holds: one entity per file (the workspace itself and provisioning runs are JSON-shaped). */
    public enum Entity {
        MEMBERS("members"), INVITATIONS("invitations"), API_KEYS("api_keys"), ENVIRONMENTS("environments"),
        EVENTS("events");

        private final String wire;

        Entity(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        static Entity parse(String value) {
            for (Entity e : values()) {
                if (e.wire.equals(value)) {
                    return e;
                }
            }
            return null;
        }
    }

    /** A validated export request: {@code entity} is set exactly when the format is CSV. */
    public record Request(ExportFormat format, Entity entity) {
    }

    /**
     * Reads {@code format} and {@code entity}. No {@code format} means the configured default
     * ({@code atrium.export.default-format}, NDJSON unless set), whatever {@code Accept} says, so a plain download
     * and {@code Accept: application/x-ndjson} get the same stream.
     */
    public static Request parse(String format, String entity, ExportFormat defaultFormat) {
        ExportFormat chosen = format == null ? defaultFormat : parseFormat(format);
        Violations v = new Violations();
        v.check(chosen != null, "format", "one of " + formats());
        Entity e = entity == null ? null : Entity.parse(entity);
        if (chosen == CSV) {
            v.check(entity != null, "entity", "required with format=csv: one of " + entities());
            v.check(entity == null || e != null, "entity", "one of " + entities());
        } else if (chosen != null) {
            v.check(entity == null, "entity", "only with format=csv");
        }
        v.throwIfAny();
        return new Request(chosen, e);
    }

    /** The configured default, refused at start when it names no format. */
    public static ExportFormat configured(String value) {
        ExportFormat f = parseFormat(value);
        if (f == null) {
            throw new IllegalArgumentException("atrium.export.default-format must be one of " + formats() + ", not '"
                    + value + "'");
        }
        return f;
    }

    private static ExportFormat parseFormat(String value) {
        for (ExportFormat f : values()) {
            if (f.wire.equals(value)) {
                return f;
            }
        }
        return null;
    }

    private static String formats() {
        return Arrays.stream(values()).map(ExportFormat::wire).collect(Collectors.joining(", "));
    }

    private static String entities() {
        return Arrays.stream(Entity.values()).map(Entity::wire).collect(Collectors.joining(", "));
    }
}
