package dev.atrium.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.eclipse.microprofile.config.ConfigProvider;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.atlassian.oai.validator.restassured.RestAssuredRequest;
import com.atlassian.oai.validator.restassured.RestAssuredResponse;

import io.restassured.RestAssured;
import io.restassured.filter.Filter;
import io.restassured.filter.FilterContext;
import io.restassured.response.Response;
import io.restassured.specification.FilterableRequestSpecification;
import io.restassured.specification.FilterableResponseSpecification;

/**
 * Holds every API test to the published contract: each request a test sends to the service, and each response it
 * receives (status, headers, body), is checked against the OpenAPI document the service itself serves at
 * {@code /q/openapi}. A mismatch fails the test that made the call, naming what differs.
 *
 * <p>The validator reads every object schema that lists its properties as closed, so a field on the wire that the
 * document does not name is a failure too.
 *
 * <p>A test that sends a request the contract does not allow, on purpose (a wrong type, an unknown field, a missing
 * body, a path no operation has), says so with {@link #invalidRequest()}: only its request goes unchecked, the
 * answer is still held to the document.
 */
public final class Contract implements Filter {

    /** The parts of the service the document describes; anything else (health, the dev token, test fakes) is not. */
    private static final List<String> DOCUMENTED = List.of("/v1/", "/v1?", "/platform/", "/api/");

    private static final List<String> NO_OPERATION = List.of("validation.request.path.missing",
            "validation.request.operation.notAllowed");

    private static volatile boolean installed;

    /** Read from the running service on the first call it checks. */
    private volatile OpenApiInteractionValidator validator;

    private Contract() {
    }

    /** Installs the check for every rest-assured call of this JVM, once. */
    public static synchronized void install() {
        if (!installed) {
            RestAssured.filters(new Contract());
            installed = true;
        }
    }

    private OpenApiInteractionValidator validator() {
        if (validator == null) {
            synchronized (this) {
                if (validator == null) {
                    validator = OpenApiInteractionValidator.createForInlineApiSpecification(served())
                            // A path with a trailing slash is another path (404), never the same operation.
                            .withStrictOperationPathMatching()
                            .withLevelResolver(LevelResolver.create()
                                    // Problem answers are problem+json whatever Accept asks for (only a success
                                    // answer is negotiated: 406), so Accept is not held to each answer's type.
                                    .withLevel("validation.request.accept.notAllowed", ValidationReport.Level.IGNORE)
                                    // Whether a credential is accepted is the service's to say (401, checked as an
                                    // answer); calls without one, or with a broken one, are how tests ask that.
                                    .withLevel("validation.request.security.missing", ValidationReport.Level.IGNORE)
                                    .withLevel("validation.request.security.invalid", ValidationReport.Level.IGNORE)
                                    .build())
                            .build();
                }
            }
        }
        return validator;
    }

    private static String served() {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + testPort() + "/q/openapi")).header("Accept", "application/json")
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET /q/openapi answered " + r.statusCode());
            }
            return r.body();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the OpenAPI document could not be read", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Marks one call whose request breaks the contract on purpose, so that it is sent as written and only its
     * response is checked: {@code given().filter(Contract.invalidRequest())}.
     */
    public static Filter invalidRequest() {
        return new InvalidRequest();
    }

    /** Marks a call that is no API call at all (a path no operation has, or raw bytes): nothing about it is checked. */
    public static Filter undocumented() {
        return new Undocumented();
    }

    @Override
    public Response filter(FilterableRequestSpecification request, FilterableResponseSpecification responseSpec,
            FilterContext ctx) {
        if (!describes(request) || marked(request, Undocumented.class)) {
            return ctx.next(request, responseSpec);
        }
        Request sent = RestAssuredRequest.of(request);
        List<String> failures = new ArrayList<>();
        ValidationReport requestReport = validator().validateRequest(sent);
        boolean invalidOnPurpose = marked(request, InvalidRequest.class);
        if (!invalidOnPurpose) {
            failures.addAll(messages("request", requestReport));
        }
        Response response = ctx.next(request, responseSpec);
        // A request meant to miss every operation (a hostile path) has no documented answer to compare with.
        boolean namesAnOperation = requestReport.getMessages().stream()
                .noneMatch(m -> NO_OPERATION.contains(m.getKey()));
        if (!invalidOnPurpose || namesAnOperation) {
            failures.addAll(messages("response " + response.statusCode(), validator()
                    .validateResponse(sent.getPath(), sent.getMethod(), RestAssuredResponse.of(response))));
        }
        if (!failures.isEmpty()) {
            String body = response.asString();
            throw new AssertionError(request.getMethod() + " " + sent.getPath() + " does not match the OpenAPI "
                    + "document:\n  " + String.join("\n  ", failures) + "\nresponse body: "
                    + (body.length() > 2000 ? body.substring(0, 2000) + "..." : body));
        }
        return response;
    }

    private static boolean describes(FilterableRequestSpecification request) {
        if (request.getPort() != testPort()) {
            return false;
        }
        String path = request.getDerivedPath();
        return DOCUMENTED.stream().anyMatch(path::startsWith) || path.equals("/v1");
    }

    private static int testPort() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.http.test-port", Integer.class).orElse(8081);
    }

    private static boolean marked(FilterableRequestSpecification request, Class<? extends Filter> marker) {
        return request.getDefinedFilters().stream().anyMatch(marker::isInstance);
    }

    private static List<String> messages(String what, ValidationReport report) {
        return report.getMessages().stream().filter(m -> m.getLevel() == ValidationReport.Level.ERROR)
                .map(m -> what + ": [" + m.getKey() + "] " + m.getMessage()
                        + m.getContext().flatMap(c -> c.getPointers().map(p -> " at " + p.getInstance()))
                                .orElse("")
                        + m.getNestedMessages().stream().map(n -> "\n      " + n.getMessage())
                                .collect(Collectors.joining()))
                .collect(Collectors.toList());
    }

    /** See {@link #invalidRequest()}. */
    private static final class InvalidRequest implements Filter {
        @Override
        public Response filter(FilterableRequestSpecification request, FilterableResponseSpecification response,
                FilterContext ctx) {
            return ctx.next(request, response);
        }
    }

    /** See {@link #undocumented()}. */
    private static final class Undocumented implements Filter {
        @Override
        public Response filter(FilterableRequestSpecification request, FilterableResponseSpecification response,
                FilterContext ctx) {
            return ctx.next(request, response);
        }
    }
}
