package dev.atrium.common.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The expand/contract rule of deploy/README.md, as far as text can tell: a migration after {@link #BASELINE} that
 * removes, renames, retypes or tightens something the previous release may still use carries a {@code -- contract:}
 * line saying why that is safe now (the release that stopped using it is older than any release that may still run
 * or be rolled back to). Anything else is an expand step. Reviewers check the reason; this test checks it is there.
 */
class MigrationRulesTest {

    /** Migrations up to this version predate the rule and are never edited. */
    static final int BASELINE = 6;
    static final Path MIGRATIONS = Path.of("src/main/resources/db/migration");
    static final Pattern VERSION = Pattern.compile("V(\\d+)__.+\\.sql");
    static final Pattern CONTRACT = Pattern.compile(
            "\\bdrop\\s+(table|column|constraint|type|view|function|schema)\\b|\\brename\\b|\\balter\\s+column\\s+\\S+"
                    + "\\s+(set\\s+data\\s+)?type\\b|\\bset\\s+not\\s+null\\b|\\badd\\s+constraint\\b|\\btruncate\\b");

    @Test
    void everyMigrationAfterTheBaselineExpandsOrSaysWhyItMayContract() throws IOException {
        List<String> unexplained = new ArrayList<>();
        try (Stream<Path> files = Files.list(MIGRATIONS)) {
            for (Path file : files.sorted().toList()) {
                Matcher name = VERSION.matcher(file.getFileName().toString());
                if (name.matches() && Integer.parseInt(name.group(1)) > BASELINE && !followsTheRule(file)) {
                    unexplained.add(file.getFileName().toString());
                }
            }
        }
        assertEquals(List.of(), unexplained, "contracting migrations without a '-- contract:' reason");
    }

    @Test
    void theCheckTellsAnExpandStepFromAnUnexplainedContractStep() throws IOException {
        assertTrue(followsTheRule(Path.of("src/test/resources/db/compat/expand/V9000__an_expand_step.sql")));
        assertTrue(followsTheRule(Path.of("src/test/resources/db/compat/contract/V9001__a_contract_step.sql")));
        assertFalse(followsTheRule("alter table workspaces drop column failure_reason;"));
        assertFalse(followsTheRule("alter table workspaces rename column name to title;"));
        assertFalse(followsTheRule("alter table workspaces alter column plan type varchar(20);"));
        assertFalse(followsTheRule("alter table workspaces alter column region set not null;"));
        assertFalse(followsTheRule("alter table workspaces add constraint plan_known check (plan <> '');"));
    }

    static boolean followsTheRule(Path file) throws IOException {
        return followsTheRule(Files.readString(file));
    }

    /** Either no contracting statement (comments aside), or a {@code -- contract:} line giving the reason. */
    static boolean followsTheRule(String sql) {
        StringBuilder statements = new StringBuilder();
        boolean explained = false;
        for (String line : sql.lines().toList()) {
            String trimmed = line.trim();
            if (trimmed.startsWith("-- contract:") && trimmed.length() > "-- contract:".length() + 10) {
                explained = true;
            }
            statements.append(line.replaceFirst("--.*$", "")).append('\n');
        }
        return explained || !CONTRACT.matcher(statements.toString().toLowerCase(Locale.ROOT)).find();
    }
}
