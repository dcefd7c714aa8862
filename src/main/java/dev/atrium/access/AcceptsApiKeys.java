package dev.atrium.access;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an operation of one workspace (a resource method with a {@code workspace_id} path parameter) that an API key
 * bound to that workspace may call; its scopes and its holder's role still decide in {@code Access}. Operations
 * without it are closed to API keys (403 {@code api_key_not_allowed}), so an endpoint added later stays closed until
 * it says otherwise.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
public @interface AcceptsApiKeys {
}
