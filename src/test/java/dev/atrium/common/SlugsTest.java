package dev.atrium.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Slugs derived from names: ASCII letters and digits, single hyphens, at most 46 characters before a suffix. */
class SlugsTest {

    @Test
    void aNameBecomesItsSlug() {
        assertEquals("cafe-deja-vu", Slugs.fromName("Café Déjà Vu", "workspace"));
        assertEquals("hello-world", Slugs.fromName("  --Hello__World--  ", "workspace"));
        assertEquals("file-2", Slugs.fromName("ﬁle #2", "workspace"));
        assertEquals("a-b", Slugs.fromName("a\u0301 \t\n b", "workspace"));
        assertEquals("workspace", Slugs.fromName("日本語", "workspace"));
        assertEquals("workspace", Slugs.fromName("---", "workspace"));
        assertEquals("org", Slugs.fromName(null, "org"));
    }

    @Test
    void aLongNameIsCutWithoutATrailingHyphen() {
        String slug = Slugs.fromName("x".repeat(45) + " yz and more", "workspace");
        assertEquals("x".repeat(45), slug);
        String whole = Slugs.fromName("word ".repeat(30), "workspace");
        assertTrue(whole.length() <= Slugs.MAX - 4 && Slugs.valid(whole) && !whole.endsWith("-"), whole);
        assertTrue(Slugs.valid(Slugs.candidate(whole, 99)), whole);
    }
}
