package dev.atrium.common.json;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.KeyDeserializer;
import com.fasterxml.jackson.databind.deser.std.JsonNodeDeserializer;
import com.fasterxml.jackson.databind.deser.std.StringDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.atrium.common.text.Text;

/**
 * Refuses, while a body is read, every string, map key and tree value that {@link Text#storable} refuses, so no such
 * text reaches a service or the database. Registered on the application's mapper by {@link JsonSetup}.
 */
final class StorableText {

    private StorableText() {
    }

    static SimpleModule module() {
        SimpleModule module = new SimpleModule("atrium-storable-text");
        module.addDeserializer(String.class, new Strings());
        module.addKeyDeserializer(String.class, new Keys());
        module.addDeserializer(JsonNode.class, new Trees<>(JsonNode.class));
        module.addDeserializer(ObjectNode.class, new Trees<>(ObjectNode.class));
        return module;
    }

    private static final class Strings extends StringDeserializer {
        private static final long serialVersionUID = 1L;

        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String value = super.deserialize(p, ctxt);
            if (!Text.storable(value)) {
                throw new UnstorableTextException(p, "");
            }
            return value;
        }
    }

    private static final class Keys extends KeyDeserializer {
        @Override
        public Object deserializeKey(String key, DeserializationContext ctxt) throws IOException {
            if (!Text.storable(key)) {
                throw new UnstorableTextException(ctxt.getParser(), "");
            }
            return key;
        }
    }

    private static final class Trees<T extends JsonNode> extends JsonDeserializer<T> {
        private final Class<T> type;
        private final JsonDeserializer<? extends JsonNode> standard;

        Trees(Class<T> type) {
            this.type = type;
            this.standard = JsonNodeDeserializer.getDeserializer(type);
        }

        @Override
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonNode tree = standard.deserialize(p, ctxt);
            String bad = firstUnstorable(tree, "");
            if (bad != null) {
                throw new UnstorableTextException(p, bad);
            }
            return type.cast(tree);
        }

        @Override
        public T getNullValue(DeserializationContext ctxt) {
            return null;
        }

        /** The place of the first string or field name that cannot be stored, {@code null} when there is none. */
        private static String firstUnstorable(JsonNode node, String at) {
            if (node.isTextual()) {
                return Text.storable(node.textValue()) ? null : at;
            }
            if (node.isArray()) {
                for (int i = 0; i < node.size(); i++) {
                    String bad = firstUnstorable(node.get(i), at + "[" + i + "]");
                    if (bad != null) {
                        return bad;
                    }
                }
            }
            if (node.isObject()) {
                Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
                while (fields.hasNext()) {
                    Map.Entry<String, JsonNode> field = fields.next();
                    String place = at.isEmpty() ? field.getKey() : at + "." + field.getKey();
                    if (!Text.storable(field.getKey())) {
                        return at.isEmpty() ? "body" : at;
                    }
                    String bad = firstUnstorable(field.getValue(), place);
                    if (bad != null) {
                        return bad;
                    }
                }
            }
            return null;
        }
    }
}
