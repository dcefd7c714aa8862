package dev.atrium.common.web;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The problem {@code code}s an operation can answer beyond those {@link OpenApiProblems} documents for every
 * operation of its kind (authentication, reach, request shape, idempotency). The OpenAPI document lists them per
 * status, and the contract tests fail on any answer whose code the document does not list.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
public @interface ProblemCodes {
    String[] value();
}
