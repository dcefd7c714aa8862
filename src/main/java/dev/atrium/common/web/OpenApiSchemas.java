package dev.atrium.common.web;

import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.media.Content;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;

import dev.atrium.common.paging.Paging;
import io.quarkus.smallrye.openapi.OpenApiFilter;

/**
 * Makes the generated schemas say what the wire carries, in the OpenAPI 3.0 the document is published as:
 * <ul>
 * <li>A nullable reference (a timestamp, an actor) is written out in place with {@code nullable: true}: OpenAPI 3.0
 * has no null type, and {@code allOf: [$ref]} beside {@code nullable} leaves validators that disagree on whether null
 * passes.</li>
 * <li>A schema only answers carry names every property as required: views are records serialized with every
 * component ({@code quarkus.jackson.serialization-inclusion=always}), null included. A schema that already lists its
 * required properties (an actor, a problem) keeps its list.</li>
 * <li>A reference that carries its own keywords beside it (a metadata value's limit) is written out in place too:
 * OpenAPI 3.0 can only say it as {@code allOf: [$ref]}, which validators read differently. A component left with no
 * reference after this is dropped.</li>
 * <li>Every list's {@code limit} is the one of {@link Paging}: an integer from 1 to {@value Paging#MAX_LIMIT}.</li>
 * </ul>
 */
@OpenApiFilter(stages = OpenApiFilter.RunStage.BUILD, priority = 10)
public class OpenApiSchemas implements OASFilter {

    private static final String COMPONENT = "#/components/schemas/";
    private static final String RESPONSE = "#/components/responses/";

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getComponents() == null || openAPI.getComponents().getSchemas() == null) {
            return;
        }
        Map<String, Schema> components = openAPI.getComponents().getSchemas();
        Map<String, APIResponse> shared = openAPI.getComponents().getResponses();
        Set<String> sent = new HashSet<>();
        Set<String> answered = new HashSet<>();
        if (openAPI.getPaths() != null && openAPI.getPaths().getPathItems() != null) {
            openAPI.getPaths().getPathItems().values().forEach(item -> item.getOperations().values().forEach(op -> {
                reach(requests(op), components, sent);
                reach(answers(op, shared), components, answered);
            }));
        }
        answered.removeAll(sent);
        for (String name : answered) {
            Schema schema = components.get(name);
            if (schema.getProperties() != null && schema.getRequired() == null) {
                schema.setRequired(new ArrayList<>(schema.getProperties().keySet()));
            }
        }
        Set<String> inlined = new HashSet<>();
        Consumer<Schema> inline = s -> {
            inlineNullableReference(s, components, inlined);
            inlineReferenceWithKeywords(s, components, inlined);
        };
        new ArrayList<>(components.values()).forEach(schema -> walk(schema, inline));
        Set<String> referenced = new HashSet<>();
        if (openAPI.getPaths() != null && openAPI.getPaths().getPathItems() != null) {
            openAPI.getPaths().getPathItems().values().forEach(item -> item.getOperations().values()
                    .forEach(op -> {
                        requests(op).forEach(s -> walk(s, inline));
                        answers(op, shared).forEach(s -> walk(s, inline));
                        pagingLimit(op);
                        reach(requests(op), components, referenced);
                        reach(answers(op, shared), components, referenced);
                    }));
        }
        inlined.stream().filter(name -> !referenced.contains(name)).forEach(openAPI.getComponents()::removeSchema);
    }

    /** {@code anyOf: [{$ref: X}, {type: null}]} becomes X's own schema, written out, with null allowed. */
    private static void inlineNullableReference(Schema schema, Map<String, Schema> components, Set<String> inlined) {
        List<Schema> anyOf = schema.getAnyOf();
        if (anyOf == null || anyOf.size() != 2) {
            return;
        }
        Schema ref = anyOf.stream().filter(s -> s.getRef() != null).findFirst().orElse(null);
        boolean withNull = anyOf.stream().anyMatch(s -> s.getRef() == null && s.getType() != null
                && s.getType().equals(List.of(Schema.SchemaType.NULL)));
        if (ref == null || !withNull || !ref.getRef().startsWith(COMPONENT)) {
            return;
        }
        Schema target = components.get(ref.getRef().substring(COMPONENT.length()));
        if (target == null) {
            return;
        }
        Map<String, Object> merged = new LinkedHashMap<>(target.getAll());
        schema.getAll().forEach((key, value) -> {
            if (!key.equals("anyOf") && !key.equals("type")) {
                merged.put(key, value);
            }
        });
        List<Schema.SchemaType> types = new ArrayList<>(target.getType() == null ? List.of() : target.getType());
        types.add(Schema.SchemaType.NULL);
        merged.put("type", types);
        schema.setAll(merged);
        inlined.add(ref.getRef().substring(COMPONENT.length()));
    }

    /** {@code {$ref: X, maxLength: ...}} (not an object) becomes X's own schema, written out, with those keywords. */
    private static void inlineReferenceWithKeywords(Schema schema, Map<String, Schema> components,
            Set<String> inlined) {
        String ref = schema.getRef();
        if (ref == null || !ref.startsWith(COMPONENT) || schema.getAll().size() < 2) {
            return;
        }
        String name = ref.substring(COMPONENT.length());
        Schema target = components.get(name);
        if (target == null || target.getType() == null || target.getType().contains(Schema.SchemaType.OBJECT)) {
            return;
        }
        Map<String, Object> merged = new LinkedHashMap<>(target.getAll());
        schema.getAll().forEach((key, value) -> {
            if (!ref.equals(value) && !key.equals("type")) {
                merged.put(key, value);
            }
        });
        schema.setAll(merged);
        inlined.add(name);
    }

    private static void pagingLimit(Operation op) {
        if (op.getParameters() == null) {
            return;
        }
        op.getParameters().stream().filter(p -> p.getIn() == Parameter.In.QUERY && "limit".equals(p.getName()))
                .forEach(p -> p.schema(OASFactory.createSchema().addType(Schema.SchemaType.INTEGER)
                        .minimum(BigDecimal.ONE).maximum(BigDecimal.valueOf(Paging.MAX_LIMIT))));
    }

    private static List<Schema> requests(Operation op) {
        List<Schema> schemas = new ArrayList<>();
        if (op.getRequestBody() != null) {
            schemas(op.getRequestBody().getContent(), schemas);
        }
        if (op.getParameters() != null) {
            op.getParameters().forEach(p -> {
                if (p.getSchema() != null) {
                    schemas.add(p.getSchema());
                }
            });
        }
        return schemas;
    }

    /** The schemas of the operation's answers, those it refers to under {@code components/responses} included. */
    private static List<Schema> answers(Operation op, Map<String, APIResponse> shared) {
        List<Schema> schemas = new ArrayList<>();
        if (op.getResponses() != null && op.getResponses().getAPIResponses() != null) {
            op.getResponses().getAPIResponses().values().forEach(r -> {
                APIResponse answer = r.getRef() == null || shared == null || !r.getRef().startsWith(RESPONSE) ? r
                        : shared.get(r.getRef().substring(RESPONSE.length()));
                if (answer != null) {
                    schemas(answer.getContent(), schemas);
                }
            });
        }
        return schemas;
    }

    private static void schemas(Content content, List<Schema> into) {
        if (content != null && content.getMediaTypes() != null) {
            content.getMediaTypes().values().forEach(m -> {
                if (m.getSchema() != null) {
                    into.add(m.getSchema());
                }
            });
        }
    }

    /** Adds to {@code names} every component the schemas refer to, however deep. */
    private static void reach(List<Schema> roots, Map<String, Schema> components, Set<String> names) {
        Deque<Schema> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            walk(todo.pop(), s -> {
                if (s.getRef() != null && s.getRef().startsWith(COMPONENT)) {
                    String name = s.getRef().substring(COMPONENT.length());
                    if (names.add(name) && components.containsKey(name)) {
                        todo.push(components.get(name));
                    }
                }
            });
        }
    }

    /** Visits a schema and every schema inside it. */
    private static void walk(Schema schema, Consumer<Schema> visit) {
        if (schema == null) {
            return;
        }
        visit.accept(schema);
        if (schema.getProperties() != null) {
            schema.getProperties().values().forEach(s -> walk(s, visit));
        }
        walk(schema.getItems(), visit);
        walk(schema.getAdditionalPropertiesSchema(), visit);
        walkAll(schema.getAllOf(), visit);
        walkAll(schema.getAnyOf(), visit);
        walkAll(schema.getOneOf(), visit);
    }

    private static void walkAll(List<Schema> schemas, Consumer<Schema> visit) {
        if (schemas != null) {
            schemas.forEach(s -> walk(s, visit));
        }
    }
}
