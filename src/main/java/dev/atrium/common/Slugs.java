package dev.atrium.common;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/** Slugs: {@code ^[a-z0-9](-?[a-z0-9])*$}, at most 50 characters, derived from names when not given. */
public final class Slugs {

    public static final String PATTERN = "^[a-z0-9](-?[a-z0-9])*$";
    public static final Pattern VALID = Pattern.compile(PATTERN);
    public static final int MAX = 50;
    public static final String RULE = "lower-case letters, digits and single hyphens, at most " + MAX + " characters";
    // Compiled once: every create without a slug derives one (String.replaceAll compiles its pattern each call).
    private static final Pattern MARKS = Pattern.compile("\\p{M}");
    private static final Pattern NON_SLUG = Pattern.compile("[^a-z0-9]+");
    private static final Pattern EDGE_HYPHENS = Pattern.compile("^-+|-+$");
    private static final Pattern TRAILING_HYPHENS = Pattern.compile("-+$");

    private Slugs() {
    }

    public static boolean valid(String slug) {
        return slug != null && slug.length() <= MAX && VALID.matcher(slug).matches();
    }

    public static String fromName(String name, String fallback) {
        String decomposed = Normalizer.normalize(name == null ? "" : name, Normalizer.Form.NFKD);
        String ascii = NON_SLUG.matcher(MARKS.matcher(decomposed).replaceAll("").toLowerCase(Locale.ROOT))
                .replaceAll("-");
        ascii = EDGE_HYPHENS.matcher(ascii).replaceAll("");
        if (ascii.length() > MAX - 4) {
            ascii = TRAILING_HYPHENS.matcher(ascii.substring(0, MAX - 4)).replaceAll("");
        }
        return ascii.isEmpty() ? fallback : ascii;
    }

    /** The n-th candidate for a base slug: base, base-2, base-3, ... */
    public static String candidate(String base, int n) {
        return n <= 1 ? base : base + "-" + n;
    }
}
