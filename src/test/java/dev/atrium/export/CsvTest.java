package dev.atrium.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/** RFC 4180 quoting and formula neutralising, without a running service. */
class CsvTest {

    @Test
    void plainFieldsStayAsTheyAre() {
        assertEquals("abc", Csv.field("abc"));
        assertEquals("", Csv.field(null));
        assertEquals("", Csv.field(""));
        assertEquals("a=b", Csv.field("a=b"));
    }

    @Test
    void fieldsWithSeparatorsQuotesOrLineBreaksAreQuoted() {
        assertEquals("\"a,b\"", Csv.field("a,b"));
        assertEquals("\"say \"\"hi\"\"\"", Csv.field("say \"hi\""));
        assertEquals("\"two\nlines\"", Csv.field("two\nlines"));
    }

    @Test
    void formulaStartsAreNeutralisedWithAnApostrophe() {
        assertEquals("'=1+1", Csv.field("=1+1"));
        assertEquals("'+1", Csv.field("+1"));
        assertEquals("'-1", Csv.field("-1"));
        assertEquals("'@A1", Csv.field("@A1"));
        assertEquals("'\tx", Csv.field("\tx"));
        assertEquals("\"'\rx\"", Csv.field("\rx"));
        assertEquals("\"'=A1,B1\"", Csv.field("=A1,B1"));
    }

    @Test
    void aLineEndsInCrlfAndNullsAreEmpty() {
        assertEquals("a,,\"b,c\"\r\n", Csv.line(Arrays.asList("a", null, "b,c")));
        assertEquals("\r\n", Csv.line(List.of("")));
    }
}
