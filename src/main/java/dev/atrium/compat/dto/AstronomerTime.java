package dev.atrium.compat.dto;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Timestamps as the Astronomer API writes them: UTC, to the second ({@code YYYY-MM-DDTHH:MM:SSZ}). */
public final class AstronomerTime {

    public static final String PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$";

    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);

    private AstronomerTime() {
    }

    public static String format(Instant at) {
        return at == null ? null : FORMAT.format(at);
    }
}
