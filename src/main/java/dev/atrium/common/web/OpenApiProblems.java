package dev.atrium.common.web;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.headers.Header;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;
import org.jboss.jandex.AnnotationInstance;
import org.jboss.jandex.AnnotationTarget;
import org.jboss.jandex.AnnotationValue;
import org.jboss.jandex.DotName;
import org.jboss.jandex.IndexView;

import dev.atrium.common.problem.Problem;
import io.quarkus.smallrye.openapi.OpenApiFilter;

/**
 * Documents what operations share, so the OpenAPI tells the whole truth without repeating annotations on each method:
 * the headers every answer carries, and each operation's problem answers with the {@code code}s each status can carry
 * (the schema of a problem answer restricts {@code code} to them, so a contract test fails on any other). An operation
 * gets the codes of its kind (below) and those its method declares with {@link ProblemCodes}.
 */
@OpenApiFilter(stages = OpenApiFilter.RunStage.BUILD, priority = 20)
public class OpenApiProblems implements OASFilter {

    /** The security schemes of the two bearer credentials, set per operation by {@code access/OpenApiSecurity}. */
    public static final String JWT_SCHEME = "jwt";
    public static final String API_KEY_SCHEME = "api_key";

    /** The contract's status per code (API.md, Conventions). */
    static final Map<String, Integer> STATUS = new LinkedHashMap<>();

    static {
        for (String code : List.of("validation_failed", "malformed_json", "invalid_cursor")) {
            STATUS.put(code, 400);
        }
        STATUS.put("unauthenticated", 401);
        for (String code : List.of("permission_denied", "plan_feature_unavailable", "api_key_not_allowed",
                "limit_exceeded")) {
            STATUS.put(code, 403);
        }
        STATUS.put("not_found", 404);
        STATUS.put("not_acceptable", 406);
        for (String code : List.of("conflict", "already_member", "invalid_state_transition", "workspace_archived",
                "invalid_role_transition", "seat_limit_below_usage", "idempotency_key_in_use")) {
            STATUS.put(code, 409);
        }
        STATUS.put("cursor_expired", 410);
        STATUS.put("precondition_failed", 412);
        STATUS.put("payload_too_large", 413);
        STATUS.put("unsupported_media_type", 415);
        STATUS.put("idempotency_key_reused", 422);
        STATUS.put("unknown_region", 422);
        STATUS.put("workspace_frozen", 423);
        STATUS.put("rate_limited", 429);
        STATUS.put("service_unavailable", 503);
        STATUS.put("cell_unavailable", 503);
        STATUS.put("wrong_region", 307);
    }

    /** Any operation: a token is needed, a principal may be refused, and a busy cell sheds load. */
    private static final List<String> EVERY = List.of("validation_failed", "unauthenticated", "permission_denied",
            "api_key_not_allowed", "not_acceptable", "service_unavailable");
    /** An operation whose path names a resource: it may be missing, out of reach, or homed in another cell. */
    private static final List<String> NAMED = List.of("not_found", "wrong_region");
    private static final List<String> WITH_BODY = List.of("malformed_json", "payload_too_large",
            "unsupported_media_type");
    private static final List<String> POST = List.of("idempotency_key_in_use", "idempotency_key_reused");
    private static final List<String> PAGED = List.of("invalid_cursor");
    /** An operation that accepts API keys (runs after the security filter): a key needs its plan's API access. */
    private static final List<String> KEYS = List.of("plan_feature_unavailable");
    /** An operation that takes {@code If-Match}: a stale one is refused. */
    private static final List<String> CONDITIONAL = List.of("precondition_failed");

    static final String REQUEST_ID = "Request-Id";
    static final String REGION = "X-Atrium-Region";

    private static final DotName PROBLEM_CODES = DotName.createSimple(ProblemCodes.class);
    private static final DotName OPERATION = DotName
            .createSimple("org.eclipse.microprofile.openapi.annotations.Operation");

    private final Map<String, List<String>> declared = new HashMap<>();

    public OpenApiProblems(IndexView index) {
        for (AnnotationInstance codes : index.getAnnotations(PROBLEM_CODES)) {
            if (codes.target().kind() != AnnotationTarget.Kind.METHOD) {
                continue;
            }
            AnnotationInstance operation = codes.target().asMethod().annotation(OPERATION);
            AnnotationValue id = operation == null ? null : operation.value("operationId");
            if (id == null) {
                throw new IllegalStateException(codes.target() + " declares problem codes but has no operationId");
            }
            List<String> list = List.of(codes.value().asStringArray());
            for (String code : list) {
                if (!STATUS.containsKey(code)) {
                    throw new IllegalStateException(codes.target() + " declares an unknown problem code: " + code);
                }
            }
            declared.put(id.asString(), list);
        }
    }

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getComponents() == null) {
            openAPI.setComponents(OASFactory.createComponents());
        }
        openAPI.getComponents()
                .addHeader(REQUEST_ID, OASFactory.createHeader().required(true)
                        .description("The request's id: the one sent in `Request-Id`, or a new `req_` id")
                        .schema(OASFactory.createSchema().addType(Schema.SchemaType.STRING)))
                .addHeader(REGION, OASFactory.createHeader().required(true)
                        .description("The region (cell) that answered")
                        .schema(OASFactory.createSchema().addType(Schema.SchemaType.STRING)));
        if (openAPI.getPaths() == null || openAPI.getPaths().getPathItems() == null) {
            return;
        }
        Set<String> used = new TreeSet<>();
        Map<String, APIResponse> shared = new TreeMap<>();
        openAPI.getPaths().getPathItems().forEach((path, item) -> item.getOperations().forEach((method, op) -> {
            if (path.startsWith("/v1")) {
                problems(path, method, op, used, shared);
            }
            if (op.getResponses() != null && op.getResponses().getAPIResponses() != null) {
                op.getResponses().getAPIResponses().values().stream().filter(r -> r.getRef() == null)
                        .forEach(OpenApiProblems::everyAnswerHeaders);
            }
        }));
        shared.forEach((name, response) -> {
            everyAnswerHeaders(response);
            openAPI.getComponents().addResponse(name, response);
        });
        Schema problem = openAPI.getComponents().getSchemas() == null ? null
                : openAPI.getComponents().getSchemas().get("Problem");
        if (problem != null) {
            used.forEach(code -> openAPI.getComponents().addSchema(problemSchema(code), withCode(problem, code)));
        }
    }

    static String problemSchema(String code) {
        return "Problem." + code;
    }

    /**
     * The problem schema with {@code code} fixed to one value: answers list these one per code they may carry
     * ({@code oneOf}), each a whole closed object, which every validator reads the same way ({@code allOf} over a
     * closed base is read differently by different validators).
     */
    private static Schema withCode(Schema problem, String code) {
        Schema schema = OASFactory.createSchema();
        schema.setAll(new LinkedHashMap<>(problem.getAll()));
        Map<String, Schema> properties = new LinkedHashMap<>(problem.getProperties());
        properties.put("code", OASFactory.createSchema().addType(Schema.SchemaType.STRING)
                .enumeration(List.of(code)));
        schema.setProperties(properties);
        schema.setDescription("Problem details with `code` `" + code + "` (HTTP " + STATUS.get(code) + ").");
        return schema;
    }

    private static final String COMPONENTS = "#/components/schemas/";

    /**
     * Adds the operation's problem answers. An answer made of problem codes alone is the same wherever it appears, so
     * it is written once under {@code components/responses} (in {@code shared}, named by its status and codes) and
     * referred to: this keeps the document a size that is read quickly at every start. An answer the operation
     * documents itself keeps its own text, with the codes added.
     */
    private void problems(String path, PathItem.HttpMethod method, Operation op, Set<String> used,
            Map<String, APIResponse> shared) {
        List<String> codes = new ArrayList<>(EVERY);
        if (path.contains("{")) {
            codes.addAll(NAMED);
        }
        if (op.getRequestBody() != null) {
            codes.addAll(WITH_BODY);
        }
        if (method == PathItem.HttpMethod.POST) {
            codes.addAll(POST);
        }
        if (op.getParameters() != null && op.getParameters().stream().anyMatch(p -> "cursor".equals(p.getName()))) {
            codes.addAll(PAGED);
        }
        if (op.getParameters() != null && op.getParameters().stream()
                .anyMatch(p -> p.getIn() == Parameter.In.HEADER && "If-Match".equalsIgnoreCase(p.getName()))) {
            codes.addAll(CONDITIONAL);
        }
        if (op.getSecurity() != null && op.getSecurity().stream().anyMatch(r -> r.hasScheme(API_KEY_SCHEME))) {
            codes.addAll(KEYS);
        }
        codes.addAll(declared.getOrDefault(op.getOperationId(), List.of()));
        Map<Integer, TreeSet<String>> byStatus = new TreeMap<>();
        codes.forEach(code -> byStatus.computeIfAbsent(STATUS.get(code), s -> new TreeSet<>()).add(code));
        APIResponses responses = op.getResponses();
        if (responses == null) {
            responses = OASFactory.createAPIResponses();
            op.setResponses(responses);
        }
        for (Map.Entry<Integer, TreeSet<String>> e : byStatus.entrySet()) {
            String status = String.valueOf(e.getKey());
            APIResponse response = responses.getAPIResponse(status);
            used.addAll(e.getValue());
            if (response == null) {
                String name = "Problem" + status + "." + String.join(".", e.getValue());
                responses.addAPIResponse(status, OASFactory.createAPIResponse().ref(name));
                if (shared.containsKey(name)) {
                    continue;
                }
                response = OASFactory.createAPIResponse();
                shared.put(name, response);
            }
            String list = "`" + String.join("`, `", e.getValue()) + "`";
            response.description(response.getDescription() == null ? list : response.getDescription() + " (" + list
                    + ")");
            List<Schema> schemas = e.getValue().stream().map(code -> OASFactory.createSchema()
                    .ref(COMPONENTS + problemSchema(code))).toList();
            response.content(OASFactory.createContent().addMediaType(Problem.MEDIA_TYPE, OASFactory.createMediaType()
                    .schema(schemas.size() == 1 ? schemas.get(0) : OASFactory.createSchema().oneOf(schemas))));
            problemHeaders(e.getKey(), response);
        }
    }

    private static void problemHeaders(int status, APIResponse response) {
        switch (status) {
            case 401 -> header(response, "WWW-Authenticate", "`Bearer realm=\"atrium\"`, with "
                    + "`error=\"invalid_token\"` when a token was sent", true);
            case 307 -> header(response, "Location", "The same path on the resource's home cell", true);
            case 429, 503 -> header(response, "Retry-After", "Seconds to wait before trying again", true);
            default -> {
            }
        }
    }

    private static void header(APIResponse response, String name, String description, boolean required) {
        if (response.getHeaders() == null || !response.getHeaders().containsKey(name)) {
            response.addHeader(name, OASFactory.createHeader().description(description).required(required)
                    .schema(OASFactory.createSchema().addType(Schema.SchemaType.STRING)));
        }
    }

    /**
     * Adds the headers every answer carries; a header an operation declares with a description only is given the
     * schema OpenAPI requires of it (a string, as every header is on the wire).
     */
    private static void everyAnswerHeaders(APIResponse response) {
        Map<String, Header> headers = new LinkedHashMap<>();
        headers.put(REQUEST_ID, OASFactory.createHeader().ref(REQUEST_ID));
        headers.put(REGION, OASFactory.createHeader().ref(REGION));
        if (response.getHeaders() != null) {
            response.getHeaders().values().stream()
                    .filter(h -> h.getRef() == null && h.getSchema() == null && h.getContent() == null)
                    .forEach(h -> h.setSchema(OASFactory.createSchema().addType(Schema.SchemaType.STRING)));
            headers.putAll(response.getHeaders());
        }
        response.setHeaders(headers);
    }
}
