package dev.atrium.common.paging;

import java.util.List;
import java.util.function.Function;

/** One page of a list and the cursor of the next one ({@code null} on the last page). */
public record Page<T>(List<T> items, String nextCursor) {

    /**
     * Builds a page from up to {@code limit + 1} fetched rows: the extra row is not shown, it only proves that a
     * next page exists, so the last page never links to an empty one.
     */
    public static <T> Page<T> of(List<T> rows, int limit, Function<T, String> cursorOf) {
        if (rows.size() <= limit) {
            return new Page<>(rows, null);
        }
        List<T> shown = List.copyOf(rows.subList(0, limit));
        return new Page<>(shown, cursorOf.apply(shown.get(limit - 1)));
    }
}
