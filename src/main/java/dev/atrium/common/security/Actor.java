package dev.atrium.common.security;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Who did something, as recorded on resources ({@code created_by}) and events ({@code actor}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "Actor", requiredProperties = { "id", "subject_type" },
        description = "Who did it; members without a value are left out")
public record Actor(String id,
        @Schema(enumeration = { "USER", "SERVICE", "API_KEY", "SYSTEM" }) String subjectType,
        String name, String email,
        @Schema(description = "For an API key: its name") String apiKeyName,
        @Schema(description = "Present, and true, when a platform admin acted") Boolean platformAdmin) {

    public static final Actor SYSTEM = new Actor("system", "SYSTEM", "Atrium", null, null, null);
}
