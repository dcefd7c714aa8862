package dev.atrium.common.security;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Who did something, as recorded on resources ({@code created_by}) and events ({@code actor}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Actor(String id, String subjectType, String name, String email, String apiKeyName,
        Boolean platformAdmin) {

    public static final Actor SYSTEM = new Actor("system", "SYSTEM", "Atrium", null, null, null);
}
