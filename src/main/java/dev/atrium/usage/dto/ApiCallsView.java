package dev.atrium.usage.dto;

import java.util.List;

/** Today's API calls and one entry per UTC day of the requested window, newest first. */
public record ApiCallsView(long today, List<DayCalls> days) {
}
