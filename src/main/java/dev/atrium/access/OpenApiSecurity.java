package dev.atrium.access;

import java.util.HashSet;
import java.util.Set;

import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.models.security.SecurityScheme;
import org.jboss.jandex.AnnotationInstance;
import org.jboss.jandex.AnnotationTarget;
import org.jboss.jandex.AnnotationValue;
import org.jboss.jandex.DotName;
import org.jboss.jandex.IndexView;

import dev.atrium.common.web.OpenApiProblems;
import io.quarkus.smallrye.openapi.OpenApiFilter;

/**
 * Documents, per operation, which of the two bearer credentials it takes: every operation a JWT, and the operations
 * marked {@link AcceptsApiKeys} an {@code atr_} API key as well. Read from the same annotation that
 * {@code ApiKeyConfinement} enforces, when the document is built, so the document cannot promise a key more than the
 * service lets it do.
 */
@OpenApiFilter(stages = OpenApiFilter.RunStage.BUILD, priority = 30)
public class OpenApiSecurity implements OASFilter {

    private static final String JWT = OpenApiProblems.JWT_SCHEME;
    private static final String API_KEY = OpenApiProblems.API_KEY_SCHEME;

    private static final DotName ACCEPTS_API_KEYS = DotName.createSimple(AcceptsApiKeys.class);
    private static final DotName OPERATION = DotName
            .createSimple("org.eclipse.microprofile.openapi.annotations.Operation");

    private final Set<String> keyOperations = new HashSet<>();

    public OpenApiSecurity(IndexView index) {
        for (AnnotationInstance marked : index.getAnnotations(ACCEPTS_API_KEYS)) {
            if (marked.target().kind() != AnnotationTarget.Kind.METHOD) {
                continue;
            }
            AnnotationInstance operation = marked.target().asMethod().annotation(OPERATION);
            AnnotationValue id = operation == null ? null : operation.value("operationId");
            if (id == null) {
                throw new IllegalStateException(marked.target() + " accepts API keys but has no operationId");
            }
            keyOperations.add(id.asString());
        }
    }

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getComponents() == null) {
            openAPI.setComponents(OASFactory.createComponents());
        }
        openAPI.getComponents()
                .addSecurityScheme(JWT, OASFactory.createSecurityScheme().type(SecurityScheme.Type.HTTP)
                        .scheme("bearer").bearerFormat("JWT")
                        .description("A JWT of a trusted issuer: a user's, or a configured service's (its scopes "
                                + "`atrium:*` decide)."))
                .addSecurityScheme(API_KEY, OASFactory.createSecurityScheme().type(SecurityScheme.Type.HTTP)
                        .scheme("bearer").bearerFormat("atr_ API key")
                        .description("An API key `atr_[0-9A-Za-z]{58}`, bound to one workspace; only the operations "
                                + "that list it accept it, under that workspace's path, within the key's scopes."));
        if (openAPI.getPaths() == null || openAPI.getPaths().getPathItems() == null) {
            return;
        }
        SecurityRequirement jwt = OASFactory.createSecurityRequirement().addScheme(JWT);
        SecurityRequirement key = OASFactory.createSecurityRequirement().addScheme(API_KEY);
        openAPI.getPaths().getPathItems().values().forEach(item -> item.getOperations().values().forEach(op -> {
            op.setSecurity(null);
            op.addSecurityRequirement(jwt);
            if (keyOperations.contains(op.getOperationId())) {
                op.addSecurityRequirement(key);
            }
        }));
    }
}
