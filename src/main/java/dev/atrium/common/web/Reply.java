package dev.atrium.common.web;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * An answer as a resource decides it (status, headers, JSON body), in a form that can be stored and replayed
 * exactly ({@code Idempotency-Key}). {@code secrets} names body fields that carry a one-time secret: a stored copy
 * keeps them sealed.
 */
public record Reply(int status, Map<String, String> headers, JsonNode body, Set<String> secrets) {

    public static Reply of(int status, JsonNode body) {
        return new Reply(status, new LinkedHashMap<>(), body, new LinkedHashSet<>());
    }

    public Reply header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    /** Marks a body field as a one-time secret (an API key's secret, an invitation token). */
    public Reply secret(String field) {
        secrets.add(field);
        return this;
    }

    public Response toResponse() {
        Response.ResponseBuilder b = Response.status(status);
        headers.forEach(b::header);
        if (body != null) {
            b.entity(body).type(MediaType.APPLICATION_JSON_TYPE);
        }
        return b.build();
    }
}
