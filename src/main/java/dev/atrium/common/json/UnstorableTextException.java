package dev.atrium.common.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonMappingException;

/**
 * A string in a request body that PostgreSQL cannot store ({@link dev.atrium.common.text.Text#storable}). Carries the
 * place of the string inside a free-form value (a metadata key, a merge patch field), which Jackson's own path does
 * not reach; the problem mapper joins both into the field it names.
 */
public class UnstorableTextException extends JsonMappingException {

    private static final long serialVersionUID = 1L;

    private final String innerPath;

    public UnstorableTextException(JsonParser parser, String innerPath) {
        super(parser, "text that cannot be stored");
        this.innerPath = innerPath;
    }

    /** The place inside the value that Jackson's path ends at, empty when the string is the value itself. */
    public String innerPath() {
        return innerPath;
    }
}
