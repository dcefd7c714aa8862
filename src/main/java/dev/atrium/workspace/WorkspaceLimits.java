package dev.atrium.workspace;

/**
 * The limits of a workspace's fields, declared once: the request DTOs' OpenAPI schemas and the validation both use
 * these constants (names and slugs: {@link dev.atrium.common.text.Text#NAME_MAX}, {@link dev.atrium.common.Slugs}).
 */
public final class WorkspaceLimits {

    public static final int DESCRIPTION_MAX = 200;
    public static final int METADATA_KEYS_MAX = 50;
    public static final int METADATA_KEY_MAX = 40;
    public static final int METADATA_VALUE_MAX = 500;
    public static final int REGION_MAX = 40;
    public static final int FREEZE_REASON_MAX = 500;
    public static final int POOLED_SEATS_MAX = 1_000_000;
    public static final String METADATA_RULE = "At most " + METADATA_KEYS_MAX + " keys; keys up to " + METADATA_KEY_MAX
            + " and values up to " + METADATA_VALUE_MAX + " characters";

    private WorkspaceLimits() {
    }
}
