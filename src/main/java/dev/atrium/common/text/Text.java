package dev.atrium.common.text;

/**
 * What text may hold before it goes near the database. PostgreSQL's {@code text} and {@code jsonb} cannot store
 * NUL, and a string with an unpaired surrogate is not Unicode at all (it would be stored as something else than was
 * sent); both are refused wherever a client's text enters: bodies, query, path and the headers that are stored.
 * Names (of workspaces, organizations, keys...) also refuse control characters other than tab and newline.
 */
public final class Text {

    public static final String UNSTORABLE = "must be valid Unicode without NUL characters";
    public static final int NAME_MAX = 50;
    public static final String NAME_RULE = "required, 1 to " + NAME_MAX + " characters, no control characters";

    private Text() {
    }

    /** {@code true} when PostgreSQL can store {@code value} as sent. */
    public static boolean storable(CharSequence value) {
        if (value == null) {
            return true;
        }
        for (int i = 0, n = value.length(); i < n; i++) {
            char c = value.charAt(i);
            if (c == 0) {
                return false;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= n || !Character.isLowSurrogate(value.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** A display name: not blank, at most {@link #NAME_MAX} characters, and {@link #isName}. */
    public static boolean validName(String value) {
        return value != null && !value.isBlank() && value.length() <= NAME_MAX && isName(value);
    }

    /** {@code true} when {@code value} is storable and holds no control character but tab and newline. */
    public static boolean isName(CharSequence value) {
        if (!storable(value)) {
            return false;
        }
        return value == null || value.codePoints().noneMatch(c -> c != '\t' && c != '\n' && Character.isISOControl(c));
    }
}
