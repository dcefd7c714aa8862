package dev.atrium.common;

import static dev.atrium.support.Api.as;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import dev.atrium.common.EndpointSecurityTest.Endpoint;
import dev.atrium.common.EndpointSecurityTest.Fixture;
import dev.atrium.support.Api;
import dev.atrium.support.Contract;
import dev.atrium.support.Db;
import dev.atrium.support.Json;
import dev.atrium.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;

/**
 * Text PostgreSQL cannot store, text that is not Unicode, duplicated keys, junk of every shape and other tenants' ids:
 * each is a 4xx problem naming what is wrong, and changes nothing. The first tests are the cases seen on a running
 * service; the last walks every operation of the published document with hostile values as four kinds of caller.
 * Every request here is invalid on purpose ({@link Contract#invalidRequest()}); every answer is still held to the
 * document.
 */
@QuarkusTest
class HostileInputTest {

    private static final String NUL = "a\u0000b";
    private static final String LONE_SURROGATE = "a\ud800b";
    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "patch");

    @Inject
    Db db;

    // ---------------------------------------------------------------- the cases seen on the running service

    @Test
    void nulInABodyIsAProblemNamingTheFieldAndNothingIsWritten() {
        String userId = Tokens.unique("nul");
        String user = Tokens.user(userId);
        Map<String, Object> ws = Api.activeWorkspace(user);
        long workspaces = db.count("select count(*) from workspaces");

        refused(send(user, "POST", "/v1/workspaces", Map.of("name", NUL)), "name");
        refused(send(user, "POST", "/v1/workspaces", Map.of("name", "ok", "metadata", Map.of("k", NUL))), "metadata.k");
        refused(send(user, "POST", "/v1/workspaces", Map.of("name", "ok", "metadata", Map.of(NUL, "v"))), "metadata");
        refused(send(user, "POST", "/v1/workspaces", Map.of("name", "ok", "description", NUL)), "description");
        refused(send(user, "POST", "/v1/organizations", Map.of("name", NUL)), "name");
        refused(send(user, "PATCH", "/v1/workspaces/" + ws.get("id"), Map.of("metadata", Map.of("k", NUL))),
                "metadata.k");
        refused(send(user, "PATCH", "/v1/workspaces/" + ws.get("id"), Map.of("name", NUL)), "name");
        refused(send(user, "POST", "/v1/workspaces/" + ws.get("id") + "/members/invite",
                Map.of("email", "a" + NUL + "@example.com", "role", "member")), "email");

        assertEquals(workspaces, db.count("select count(*) from workspaces"));
        assertEquals(0, db.count("select count(*) from organizations o join organization_members m"
                + " on m.organization_id = o.id where m.user_id = $1 and not o.personal", userId));
        assertEquals(0, db.count("select count(*) from invitations where workspace_id = $1", ws.get("id")));
        assertEquals(ws.get("name"), db.rows("select name from workspaces where id = $1", ws.get("id")).get(0)
                .getString(0));
    }

    /**
     * A trusted issuer's token is still a client's text: a subject, email or name PostgreSQL cannot store, or a
     * subject longer than the 255 characters OpenID Connect allows (an index entry has a size limit), makes the token
     * unusable (401, as any token not to be trusted), never an error of the database, and writes nothing.
     */
    @Test
    void aTokenWhoseIdentityCannotBeStoredIsRefused() {
        long now = java.time.Instant.now().getEpochSecond();
        String id = Tokens.unique("claims");
        StringBuilder unrepeated = new StringBuilder(id);
        while (unrepeated.length() < 4000) {
            unrepeated.append(java.util.UUID.randomUUID());
        }
        // JSON escapes, so the payload carries exactly the characters named.
        for (String[] claims : new String[][] { { unrepeated.toString(), "u@example.com", "U" },
                { id + "\\u0000x", "u@example.com", "U" },
                { id + "\\ud800x", "u@example.com", "U" }, { id + "-e", "u\\u0000@example.com", "U" },
                { id + "-n", "u@example.com", "a\\u0000b" }, { id + "-s", "u@example.com", "a\\udc00b" } }) {
            String token = Tokens.signRaw("{\"iss\":\"" + Tokens.ISSUER + "\",\"aud\":\"" + Tokens.AUDIENCE
                    + "\",\"sub\":\"" + claims[0] + "\",\"email\":\"" + claims[1] + "\",\"email_verified\":true,"
                    + "\"name\":\"" + claims[2] + "\",\"iat\":" + now + ",\"exp\":" + (now + 600) + "}");
            String what = String.join(" ", claims);
            for (Response r : List.of(as(token).get("/v1/me"),
                    as(token).header("Prefer", "wait=5").body(Map.of("name", "claims")).post("/v1/workspaces"),
                    as(token).body(Map.of("name", "claims")).post("/v1/organizations"))) {
                assertEquals(401, r.statusCode(), what + ": " + r.asString());
                assertEquals("unauthenticated", r.jsonPath().getString("code"), what);
            }
        }
        assertEquals(0, db.count("select count(*) from organization_members where user_id like $1", id + "%"));
        assertEquals(0, db.count("select count(*) from workspace_members where user_id like $1", id + "%"));
    }

    @Test
    void nulInTheQueryOrThePathIsAProblemNamingTheParameter() {
        String user = Tokens.user(Tokens.unique("nulq"));
        Map<String, Object> ws = Api.activeWorkspace(user);
        String id = (String) ws.get("id");
        refused(get(user, "/v1/workspaces?q=" + encode(NUL)), "q");
        refused(get(user, "/v1/workspaces?" + encode("metadata.k") + "=" + encode(NUL)), "metadata.k");
        refused(get(user, "/v1/workspaces/" + id + "/audit?type=" + encode(NUL)), "type");
        refused(get(user, "/v1/workspaces/" + id + "/members/" + encode("mem_" + NUL)), "member_id");
        refused(get(user, "/v1/workspaces/" + id + "/members?role=" + encode(NUL)), "role");
        refused(get(user, "/v1/organizations/" + encode(NUL)), "org_id");
    }

    @Test
    void aLoneSurrogateIsNotUnicodeAndIsNotStored() {
        String userId = Tokens.unique("surrogate");
        String user = Tokens.user(userId);
        refused(send(user, "POST", "/v1/workspaces", Map.of("name", LONE_SURROGATE)), "name");
        refused(send(user, "POST", "/v1/workspaces", Map.of("name", "x", "metadata", Map.of("k", "\udc00"))),
                "metadata.k");
        refused(send(user, "POST", "/v1/organizations", Map.of("name", "\ud800")), "name");
        assertEquals(0, db.count("select count(*) from workspace_members where user_id = $1", userId));
        // A real pair (an emoji) is Unicode and is kept as sent.
        Response ok = send(user, "POST", "/v1/organizations", Map.of("name", "Rocket \ud83d\ude80"));
        assertEquals(201, ok.statusCode(), ok.asString());
        assertEquals("Rocket \ud83d\ude80", ok.path("name"));
    }

    @Test
    void aDuplicatedKeyIsRefusedWhereverItIs() {
        String userId = Tokens.unique("dup");
        String user = Tokens.user(userId);
        Map<String, Object> ws = Api.activeWorkspace(user);
        refusedRaw(user, "POST", "/v1/workspaces", "{\"name\":\"a\",\"name\":\"b\"}", "name");
        refusedRaw(user, "POST", "/v1/workspaces", "{\"name\":\"a\",\"metadata\":{\"k\":\"1\",\"k\":\"2\"}}",
                "metadata.k");
        refusedRaw(user, "PATCH", "/v1/workspaces/" + ws.get("id"), "{\"name\":\"a\",\"name\":\"b\"}", "name");
        assertEquals(1, db.count("select count(*) from workspace_members where user_id = $1", userId));
    }

    /**
     * A body cut off anywhere (inside a string, after a key, inside a nested object, before the closing brace) is not
     * JSON: malformed_json, whichever field the cut falls in, on a create and on a change, and nothing is written.
     */
    @Test
    void aBodyCutOffAnywhereIsMalformedJsonAndChangesNothing() {
        String userId = Tokens.unique("cut");
        String user = Tokens.user(userId);
        Map<String, Object> ws = Api.activeWorkspace(user);
        String whole = "{\"name\":\"Cut\",\"metadata\":{\"team\":\"core\"},\"settings\":{\"cicd_enforced_default\":true}}";
        for (int end = 1; end < whole.length(); end++) {
            String cut = whole.substring(0, end);
            malformedRaw(user, "POST", "/v1/workspaces", cut);
            malformedRaw(user, "PATCH", "/v1/workspaces/" + ws.get("id"), cut);
        }
        // Whole JSON with a value that does not fit its field is still the field's fault.
        refusedRaw(user, "POST", "/v1/workspaces", "{\"name\":\"n\",\"pooled_seat_limit\":99999999999999999999}",
                "pooled_seat_limit");
        assertEquals(1, db.count("select count(*) from workspace_members where user_id = $1", userId));
        Api.as(user).get("/v1/workspaces/" + ws.get("id")).then().statusCode(200).body("name", equalTo(ws.get("name")));
    }

    @Test
    void namesRefuseControlCharactersButTheRestOfTheTextKeepsItsLines() {
        String user = Tokens.user(Tokens.unique("ctl"));
        refused(send(user, "POST", "/v1/workspaces", Map.of("name", "bell\u0007")), "name");
        refused(send(user, "POST", "/v1/organizations", Map.of("name", "esc\u001b[31m")), "name");
        refused(send(user, "POST", "/v1/workspaces", Map.of("name", "del\u007f")), "name");
        Response ok = send(user, "POST", "/v1/workspaces",
                Map.of("name", "Tab\tand line", "description", "first line\nsecond line"));
        assertEquals(202, ok.statusCode(), ok.asString());
        assertEquals("Tab\tand line", ok.path("name"));
        assertEquals("first line\nsecond line", ok.path("description"));
    }

    // ---------------------------------------------------------------- every operation, every kind of caller

    @Test
    void everyOperationRefusesHostileValuesFromEveryKindOfCallerAndChangesNothing() {
        Fixture f = Fixture.create(true, true);
        Fixture other = Fixture.create(true, true);
        String viewerId = Tokens.unique("viewer");
        db.addMember(f.workspaceId, viewerId, "viewer");
        as(f.owner).body(Map.of("role", "member")).put("/v1/organizations/" + f.organizationId + "/members/" + viewerId)
                .then().statusCode(200);
        String strangerId = Tokens.unique("stranger");
        Map<String, String> callers = new LinkedHashMap<>();
        callers.put("a stranger", Tokens.user(strangerId));
        callers.put("a viewer", Tokens.user(viewerId));
        callers.put("an API key", f.key(List.of("workspace:read", "workspace:update", "members:read", "billing:read",
                "audit:read", "export:read", "usage:read")));
        callers.put("a service without the scope", Tokens.service("provisioner", "openid profile"));
        for (String token : List.of(callers.get("a stranger"), callers.get("a viewer"))) {
            as(token).get("/v1/me").then().statusCode(200); // personal organizations exist before the snapshot
        }
        Map<String, String> before = snapshot();

        List<String> failures = new ArrayList<>();
        int requests = 0;
        JsonPath document = given().accept("application/json").get("/q/openapi").then().statusCode(200).extract()
                .jsonPath();
        Map<String, Map<String, Object>> paths = document.getMap("paths");
        for (Map.Entry<String, Map<String, Object>> path : new TreeMap<>(paths).entrySet()) {
            for (String method : path.getValue().keySet()) {
                if (!HTTP_METHODS.contains(method)) {
                    continue;
                }
                Operation op = Operation.of(method.toUpperCase(), path.getKey(), document, f);
                for (Map.Entry<String, String> caller : callers.entrySet()) {
                    for (Attempt attempt : op.attempts(f, other)) {
                        Response r = attempt.send(caller.getValue());
                        requests++;
                        String problem = judge(r, attempt.mayPass(), path.getKey());
                        if (problem != null) {
                            failures.add(problem + ": " + op.method + " " + attempt.describe() + " as "
                                    + caller.getKey() + " -> " + r.statusCode() + " " + abbreviate(r.asString()));
                        }
                    }
                }
            }
        }
        assertTrue(requests > 1000, "hostile requests sent: " + requests);
        assertTrue(failures.isEmpty(), failures.size() + " of " + requests + " hostile requests were not refused "
                + "cleanly:\n  " + String.join("\n  ", failures.subList(0, Math.min(60, failures.size()))));
        assertEquals(before, snapshot(), "rows changed by hostile requests");
    }

    /**
     * {@code null} when the answer is a clean refusal: a 4xx problem body, or for the Astronomer and Recoup
     * operations their own error body.
     */
    private static String judge(Response r, boolean mayPass, String template) {
        int status = r.statusCode();
        if (status >= 500) {
            return "a server error";
        }
        if (mayPass && status >= 200 && status < 300) {
            return null;
        }
        if (status < 400) {
            return "accepted";
        }
        String type = r.contentType();
        if (type != null && type.startsWith("application/problem+json")) {
            return null;
        }
        boolean ownShape = type != null && type.startsWith("application/json")
                && (template.startsWith("/platform/") ? r.jsonPath().get("statusCode") != null
                        : template.startsWith("/api/") && r.jsonPath().get("error") != null);
        return ownShape ? null : "a refusal without a problem body";
    }

    /** One operation of the document: its path and query parameters, its body's fields and a valid body. */
    private record Operation(String method, String template, List<String> pathParams, List<String> queryParams,
            Map<String, String> bodyFields, Map<String, Object> validBody) {

        static Operation of(String method, String template, JsonPath document, Fixture f) {
            String at = "paths.'" + template + "'." + method.toLowerCase();
            List<String> pathParams = new ArrayList<>();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{([^}]+)}").matcher(template);
            while (m.find()) {
                pathParams.add(m.group(1));
            }
            List<String> queryParams = new ArrayList<>();
            List<Map<String, Object>> params = document.getList(at + ".parameters");
            if (params != null) {
                params.stream().filter(p -> "query".equals(p.get("in"))).forEach(p -> queryParams.add((String) p.get("name")));
            }
            Map<String, String> fields = new LinkedHashMap<>();
            String ref = document.getString(at + ".requestBody.content.'application/json'.schema.$ref");
            if (ref == null) {
                ref = document.getString(at + ".requestBody.content.'application/merge-patch+json'.schema.$ref");
            }
            if (ref != null) {
                Map<String, Map<String, Object>> properties = document
                        .getMap("components.schemas." + ref.substring(ref.lastIndexOf('/') + 1) + ".properties");
                if (properties != null) {
                    properties.forEach((name, schema) -> fields.put(name, String.valueOf(schema.get("type"))));
                }
            }
            Map<String, Object> body = null;
            for (Endpoint e : EndpointSecurityTest.ENDPOINTS) {
                if (e.method().equals(method) && e.path().equals(template) && e.body() != null) {
                    body = new LinkedHashMap<>();
                    for (Map.Entry<String, Object> field : e.body().entrySet()) {
                        Object value = field.getValue();
                        body.put(field.getKey(), value instanceof String text && text.startsWith("{") ? f.resolve(text)
                                : value);
                    }
                }
            }
            if (body == null && (ref != null || Set.of("POST", "PUT", "PATCH").contains(method))) {
                body = new LinkedHashMap<>();
            }
            return new Operation(method, template, pathParams, queryParams, fields, body);
        }

        /** The hostile requests for this operation: one hostile value each, the rest valid. */
        List<Attempt> attempts(Fixture f, Fixture other) {
            List<Attempt> out = new ArrayList<>();
            String huge = "x".repeat(1500);
            for (String param : pathParams) {
                String foreign = other.resolve("{" + param + "}");
                for (String value : List.of(NUL, LONE_SURROGATE, huge, "../../organizations", "%2e%2e", foreign,
                        "ws_" + "0".repeat(30))) {
                    out.add(new Attempt(this, path(f, param, value), null, freshBody(),
                            "path " + param + "=" + label(value), false));
                }
            }
            for (String param : queryParams) {
                for (String value : List.of(NUL, "y".repeat(2000))) {
                    out.add(new Attempt(this, path(f, null, null), encode(param) + "=" + encode(value), freshBody(),
                            "query " + param + "=" + label(value), false));
                }
                // Bytes that are not UTF-8 decode to replacement characters: storable, so a filter may match nothing.
                out.add(new Attempt(this, path(f, null, null), encode(param) + "=%ED%A0%80%FF", freshBody(),
                        "query " + param + "=invalid UTF-8", true));
            }
            if (validBody != null) {
                List<Object> junk = List.of(NUL, LONE_SURROGATE, "z".repeat(20_000), 12345, true, List.of("a"),
                        Map.of("a", 1));
                for (String field : bodyFields.keySet()) {
                    for (Object value : junk) {
                        if (value instanceof Map && field.equals("settings")) {
                            continue; // an object is this field's shape; its keys are checked below
                        }
                        Map<String, Object> body = freshBody();
                        body.put(field, field.equals("metadata") && value instanceof String s ? Map.of("k", s) : value);
                        out.add(new Attempt(this, path(f, null, null), null, body, "body " + field + "=" + label(value),
                                false));
                    }
                    if (field.equals("metadata") || field.equals("settings")) {
                        Map<String, Object> body = freshBody();
                        body.put(field, Map.of(NUL, "v"));
                        out.add(new Attempt(this, path(f, null, null), null, body, "body " + field + " key=NUL", false));
                    }
                }
                if (bodyFields.containsKey("name")) {
                    out.add(new Attempt(this, path(f, null, null), null, null,
                            "a duplicated key: {\"name\":\"a\",\"name\":\"b\"}", false));
                }
            }
            return out;
        }

        private Map<String, Object> freshBody() {
            return validBody == null ? null : new LinkedHashMap<>(validBody);
        }

        private String path(Fixture f, String hostileParam, String value) {
            String path = template;
            for (String p : pathParams) {
                String v = p.equals(hostileParam) ? encode(value) : f.resolve("{" + p + "}");
                path = path.replace("{" + p + "}", v);
            }
            return path;
        }
    }

    /** One hostile request; {@code mayPass}: the value is storable text, which a filter may simply not match. */
    private record Attempt(Operation op, String path, String query, Map<String, Object> body, String what,
            boolean mayPass) {

        Response send(String token) {
            RequestSpecification request = given().filter(Contract.invalidRequest()).urlEncodingEnabled(false)
                    .accept(ContentType.JSON).header("Authorization", "Bearer " + token);
            boolean duplicated = body == null && what.startsWith("a duplicated key");
            if (body != null || duplicated) {
                request.contentType(ContentType.JSON).body(duplicated ? "{\"name\":\"a\",\"name\":\"b\"}" : Json.write(body));
            }
            return request.request(op.method(), query == null ? path : path + "?" + query);
        }

        String describe() {
            return path + (query == null ? "" : "?…") + " with " + what;
        }
    }

    /** A fingerprint of every table's rows. */
    private Map<String, String> snapshot() {
        Map<String, String> out = new TreeMap<>();
        for (var row : db.rows("select table_name from information_schema.tables where table_schema = 'public'"
                + " and table_type = 'BASE TABLE' and table_name <> 'flyway_schema_history'")) {
            String table = row.getString(0);
            out.put(table, db.rows("select count(*) || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)),"
                    + " '') from " + table + " t").get(0).getString(0));
        }
        return out;
    }

    // ---------------------------------------------------------------- helpers

    private static Response send(String token, String method, String path, Map<String, Object> body) {
        return given().filter(Contract.invalidRequest()).header("Authorization", "Bearer " + token)
                .accept(ContentType.JSON)
                .contentType(method.equals("PATCH") ? "application/merge-patch+json" : "application/json")
                .body(Json.write(body)).request(method, path);
    }

    private static Response get(String token, String path) {
        return given().filter(Contract.invalidRequest()).urlEncodingEnabled(false)
                .header("Authorization", "Bearer " + token).accept(ContentType.JSON).get(path);
    }

    /** {@code json} sent as it is, as application/json. */
    private static Response sendRaw(String token, String method, String path, String json) {
        return given().filter(Contract.invalidRequest()).header("Authorization", "Bearer " + token)
                .accept(ContentType.JSON).contentType("application/json").body(json).request(method, path);
    }

    private static void refusedRaw(String token, String method, String path, String json, String field) {
        refused(sendRaw(token, method, path, json), field);
    }

    private static void malformedRaw(String token, String method, String path, String json) {
        Response r = sendRaw(token, method, path, json);
        assertEquals(400, r.statusCode(), method + " " + json + ": " + r.asString());
        assertEquals("malformed_json", r.path("code"), method + " " + json + ": " + r.asString());
        assertEquals("application/problem+json", r.contentType(), method + " " + json);
    }

    private static void refused(Response r, String field) {
        r.then().statusCode(400).contentType("application/problem+json").body("code", equalTo("validation_failed"))
                .body("errors.field", hasItem(field));
        String body = r.asString();
        assertTrue(!body.contains("\\u0000") && !body.contains("SQL") && !body.contains("Exception"), body);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String label(Object value) {
        if (value instanceof String s) {
            if (s.contains("\u0000")) {
                return "NUL";
            }
            if (s.chars().anyMatch(c -> Character.isSurrogate((char) c))) {
                return "a lone surrogate";
            }
            return s.length() > 40 ? s.length() + " characters" : s;
        }
        return String.valueOf(value);
    }

    private static String abbreviate(String body) {
        return body.length() > 160 ? body.substring(0, 160) + "..." : body;
    }
}
