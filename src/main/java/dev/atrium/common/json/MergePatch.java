package dev.atrium.common.json;

import java.util.Iterator;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.atrium.common.problem.ApiException;
import dev.atrium.common.problem.Violations;

/** RFC 7396 JSON merge patch, applied to a resource's current representation. */
public final class MergePatch {

    private MergePatch() {
    }

    /** Refuses a patch that is not an object or names fields outside {@code allowed}. */
    public static ObjectNode requireObject(JsonNode patch, Set<String> allowed) {
        if (patch == null || !patch.isObject()) {
            throw ApiException.validation("body", "a merge patch must be a JSON object");
        }
        Violations v = new Violations();
        patch.fieldNames().forEachRemaining(name -> v.check(allowed.contains(name), name, "unknown or read-only field"));
        v.throwIfAny();
        return (ObjectNode) patch;
    }

    public static JsonNode apply(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch.deepCopy();
        }
        ObjectNode result = target != null && target.isObject() ? ((ObjectNode) target).deepCopy()
                : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        Iterator<Map.Entry<String, JsonNode>> fields = patch.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            if (f.getValue().isNull()) {
                result.remove(f.getKey());
            } else {
                result.set(f.getKey(), apply(result.get(f.getKey()), f.getValue()));
            }
        }
        return result;
    }
}
