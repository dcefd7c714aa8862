package dev.atrium.usage.dto;

import java.time.LocalDate;

/** API calls of one UTC day. */
public record DayCalls(LocalDate date, long calls) {
}
