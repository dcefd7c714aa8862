package dev.atrium.compat;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.jboss.resteasy.reactive.server.ServerResponseFilter;
import org.jboss.resteasy.reactive.server.SimpleResourceInfo;

import dev.atrium.common.problem.FieldError;
import dev.atrium.common.problem.Problem;
import dev.atrium.compat.dto.AstronomerError;
import dev.atrium.compat.dto.RecoupError;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.MediaType;

/**
 * Gives the refusals of the compatibility resources the shape of the API each speaks. Whatever refused the request
 * (authentication, the API-key confinement, validation, authorization, a rule of a service), the one problem mapper
 * wrote it as problem details; here, for a request that reached one of these resources, the same status, message and
 * request id are written as that API's error body, headers kept.
 */
public class CompatErrors {

    @ServerResponseFilter
    public void reshape(ContainerRequestContext request, ContainerResponseContext response,
            SimpleResourceInfo resource) {
        Class<?> api = resource != null && resource.getResourceClass() != null ? resource.getResourceClass()
                : byPath(request.getUriInfo().getPath());
        if ((api != AstronomerResource.class && api != RecoupResource.class)
                || !(response.getEntity() instanceof Map<?, ?> problem) || response.getMediaType() == null
                || !Problem.MEDIA_TYPE.equals(response.getMediaType().getType() + "/"
                        + response.getMediaType().getSubtype())) {
            return;
        }
        int status = response.getStatus();
        String message = message(problem);
        Object body = api == AstronomerResource.class
                ? new AstronomerError(message, String.valueOf(problem.get("request_id")), status)
                : new RecoupError(status, message);
        response.setEntity(body, null, MediaType.APPLICATION_JSON_TYPE);
    }

    /**
     * A request refused by a request filter (the API-key confinement) carries no matched resource here; its path, as
     * the router matched it, tells which API it was meant for.
     */
    private static Class<?> byPath(String path) {
        if (path.startsWith(AstronomerResource.BASE + "/")) {
            return AstronomerResource.class;
        }
        return path.equals(RecoupResource.PATH) ? RecoupResource.class : null;
    }

    /** The problem's detail, followed by the fields at fault. */
    private static String message(Map<?, ?> problem) {
        String detail = String.valueOf(problem.get("detail"));
        if (!(problem.get("errors") instanceof List<?> errors) || errors.isEmpty()) {
            return detail;
        }
        return detail + " " + errors.stream().map(CompatErrors::fieldError).collect(Collectors.joining("; "));
    }

    private static String fieldError(Object error) {
        if (error instanceof Map<?, ?> map) {
            return map.get("field") + ": " + map.get("message");
        }
        if (error instanceof FieldError field) {
            return field.field() + ": " + field.message();
        }
        return String.valueOf(error);
    }
}
