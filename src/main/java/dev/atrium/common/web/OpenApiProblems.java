package dev.atrium.common.web;

import java.util.Map;

import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;
import org.eclipse.microprofile.openapi.models.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.models.security.SecurityScheme;

import dev.atrium.common.problem.Problem;

/**
 * Documents what every operation shares: the bearer scheme, and the problem responses any of them can give, so the
 * OpenAPI tells the whole truth without repeating annotations on each method.
 */
public class OpenApiProblems implements OASFilter {

    private static final Map<String, String> COMMON = Map.of(
            "400", "Invalid request (`validation_failed`, `malformed_json`, `invalid_cursor`)",
            "401", "Missing or invalid bearer token (`unauthenticated`)",
            "403", "Not permitted (`permission_denied`)",
            "404", "Not found or outside the caller's reach (`not_found`)",
            "409", "Conflict with the resource's state",
            "423", "The workspace is frozen (`workspace_frozen`)");

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getComponents() == null) {
            openAPI.setComponents(OASFactory.createComponents());
        }
        openAPI.getComponents().addSecurityScheme("bearer", OASFactory.createSecurityScheme()
                .type(SecurityScheme.Type.HTTP).scheme("bearer").bearerFormat("JWT or atr_ API key"));
        SecurityRequirement bearer = OASFactory.createSecurityRequirement().addScheme("bearer");
        if (openAPI.getPaths() == null || openAPI.getPaths().getPathItems() == null) {
            return;
        }
        openAPI.getPaths().getPathItems().forEach((path, item) -> {
            if (!path.startsWith("/v1") && !path.startsWith("/internal/")) {
                return;
            }
            item.getOperations().values().forEach(op -> decorate(op, bearer));
        });
    }

    private static void decorate(Operation op, SecurityRequirement bearer) {
        op.addSecurityRequirement(bearer);
        APIResponses responses = op.getResponses();
        if (responses == null) {
            responses = OASFactory.createAPIResponses();
            op.setResponses(responses);
        }
        for (Map.Entry<String, String> e : COMMON.entrySet()) {
            if (responses.getAPIResponse(e.getKey()) == null) {
                responses.addAPIResponse(e.getKey(), OASFactory.createAPIResponse().description(e.getValue())
                        .content(OASFactory.createContent().addMediaType(Problem.MEDIA_TYPE,
                                OASFactory.createMediaType().schema(OASFactory.createSchema()
                                        .ref("#/components/schemas/Problem")))));
            }
        }
    }
}
