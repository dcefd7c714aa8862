package dev.atrium.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A real Keycloak for integration tests: the {@code keycloak-quarkus-dist} zip that the build unpacks into
 * {@code target/keycloak} (maven-dependency-plugin, pre-integration-test), started with {@code kc.sh start-dev} on an
 * in-memory database with the realm {@code src/test/resources/keycloak/atrium-realm.json} imported, over HTTPS with a
 * certificate made for the run (so the service under test fetches its keys over https, as production must), on free
 * ports.
 * <p>
 * Keycloak needs Java 21 or later: {@link #findJava()} looks at {@code -Dkeycloak.java.home}, {@code KEYCLOAK_JAVA_HOME},
 * {@code JAVA_HOME}, the JVM running the tests, the JDKs of {@code ~/.m2/toolchains.xml} and {@code /usr/lib/jvm}, and
 * fails the test with a message naming what it tried when none is found. Output goes to
 * {@code target/it-logs/<name>.log}. {@link #close()} stops the process and everything it started; a JVM exit does too.
 */
public final class Keycloak implements AutoCloseable {

    public static final String REALM = "atrium";
    static final int MIN_JAVA = 21;
    static final Duration READY_TIMEOUT = Duration.ofSeconds(300);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<Keycloak> RUNNING = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Keycloak::close)));
    }

    private final String name;
    private final Path home;
    private final Path javaHome;
    private final int port;
    /** Dev mode listens on plain HTTP too (8080 unless told otherwise): a free port, never used. */
    private final int httpPort;
    private final int managementPort;
    private final Path log;
    private final Path tls;
    private final String storePassword = random();
    private final String adminPassword = random();
    private HttpClient http;
    private Process process;

    private Keycloak(String name, Path home, Path javaHome) {
        this.name = name;
        this.home = home;
        this.javaHome = javaHome;
        this.port = freePort();
        this.httpPort = freePort();
        this.managementPort = freePort();
        this.log = PackagedCell.LOG_DIR.resolve(name + ".log");
        this.tls = PackagedCell.TARGET.resolve("keycloak-tls").resolve(name);
    }

    /**
     * A Keycloak of the unpacked distribution ({@code -Dkeycloak.home}, set by the build) on a Java 21+ JDK, not
     * started yet; its ports are reserved, so {@link #issuer()} is known before it runs.
     */
    public static Keycloak create(String name) {
        String configured = System.getProperty("keycloak.home");
        if (configured == null || !Files.isRegularFile(Path.of(configured, "bin", "kc.sh"))) {
            throw new AssertionError("No Keycloak distribution at -Dkeycloak.home=" + configured + ": run the"
                    + " integration tests through ./mvnw verify, whose pre-integration-test phase unpacks"
                    + " org.keycloak:keycloak-quarkus-dist into target/keycloak");
        }
        return new Keycloak(name, Path.of(configured), findJava());
    }

    /** Starts Keycloak in the background; {@link #awaitReady()} waits for the realm to be served. */
    public Keycloak start() {
        try {
            Files.createDirectories(PackagedCell.LOG_DIR);
            makeCertificate();
            Path imports = home.resolve("data").resolve("import");
            Files.createDirectories(imports);
            try (InputStream realm = Keycloak.class.getResourceAsStream("/keycloak/atrium-realm.json")) {
                Files.copy(realm, imports.resolve("atrium-realm.json"), StandardCopyOption.REPLACE_EXISTING);
            }
            List<String> command = List.of("bash", home.resolve("bin").resolve("kc.sh").toString(), "start-dev",
                    "--db=dev-mem", "--import-realm", "--http-port=" + httpPort, "--https-port=" + port,
                    "--https-key-store-file=" + tls.resolve("server.p12"),
                    "--https-key-store-password=" + storePassword,
                    "--http-management-port=" + managementPort, "--hostname-strict=false");
            ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().put("JAVA_HOME", javaHome.toString());
            builder.environment().remove("JAVA_OPTS");
            builder.environment().put("JAVA_OPTS_APPEND", "-XX:TieredStopAtLevel=1");
            builder.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
            builder.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", adminPassword);
            Files.writeString(log, "==== " + Instant.now() + " " + String.join(" ", command).replace(storePassword,
                    "***") + " (JAVA_HOME=" + javaHome + ")\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            process = builder.start();
            RUNNING.add(this);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start Keycloak " + name, e);
        }
    }

    /** Waits until the realm's discovery document is served over HTTPS; fails with the log's tail otherwise. */
    public Keycloak awaitReady() {
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        HttpRequest discovery = HttpRequest.newBuilder(URI.create(issuer() + "/.well-known/openid-configuration"))
                .timeout(Duration.ofSeconds(5)).build();
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                RUNNING.remove(this);
                throw new AssertionError("Keycloak exited with " + process.exitValue() + "; " + log + " ends:\n"
                        + tail(60));
            }
            try {
                if (client().send(discovery, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return this;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for Keycloak", e);
            }
            sleep(500);
        }
        String tail = tail(60);
        close();
        throw new AssertionError("Keycloak not ready within " + READY_TIMEOUT.toSeconds() + " s; " + log + " ends:\n"
                + tail);
    }

    /** The {@code iss} of the realm's tokens. */
    public String issuer() {
        return "https://localhost:" + port + "/realms/" + REALM;
    }

    public String jwksUrl() {
        return issuer() + "/protocol/openid-connect/certs";
    }

    /** The trust store (PKCS12) holding the certificate Keycloak serves, for the service under test. */
    public Path trustStore() {
        return tls.resolve("trust.p12");
    }

    public String trustStorePassword() {
        return storePassword;
    }

    /** JVM options that make a Java process trust this Keycloak's certificate. */
    public List<String> trustOptions() {
        return List.of("-Djavax.net.ssl.trustStore=" + trustStore(), "-Djavax.net.ssl.trustStorePassword="
                + storePassword, "-Djavax.net.ssl.trustStoreType=PKCS12");
    }

    /** A client-credentials access token; {@code scope} may be empty. */
    public String clientCredentials(String client, String secret, String scope) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_id", client);
        form.put("client_secret", secret);
        if (!scope.isEmpty()) {
            form.put("scope", scope);
        }
        return token(form);
    }

    /** A user's access token by the password grant; {@code secret} null for a public client. */
    public String password(String client, String secret, String user, String password, String scope) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "password");
        form.put("client_id", client);
        if (secret != null) {
            form.put("client_secret", secret);
        }
        form.put("username", user);
        form.put("password", password);
        if (!scope.isEmpty()) {
            form.put("scope", scope);
        }
        return token(form);
    }

    private String token(Map<String, String> form) {
        JsonNode answer = send(HttpRequest.newBuilder(URI.create(issuer() + "/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(formBody(form))), 200);
        return answer.get("access_token").asText();
    }

    // ---------------------------------------------------------------- realm keys (admin API)

    /** The realm's RSA signature keys: kid to the id of the key provider (component) holding it. */
    public Map<String, String> signingKeys() {
        JsonNode keys = admin("GET", "/keys", null, 200).get("keys");
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode key : keys) {
            if ("RS256".equals(key.path("algorithm").asText()) && "sig".equalsIgnoreCase(key.path("use").asText())) {
                out.put(key.get("kid").asText(), key.get("providerId").asText());
            }
        }
        return out;
    }

    /** Adds a generated RSA key provider whose priority outranks the realm's own: new tokens are signed with it. */
    public void addSigningKey(String providerName, int priority) {
        String realmId = admin("GET", "", null, 200).get("id").asText();
        Map<String, Object> component = Map.of("name", providerName, "providerId", "rsa-generated",
                "providerType", "org.keycloak.keys.KeyProvider", "parentId", realmId,
                "config", Map.of("priority", List.of(String.valueOf(priority)), "keySize", List.of("2048")));
        admin("POST", "/components", component, 201);
    }

    /** Deletes the key provider (and so the key) that signed tokens with {@code kid}. */
    public void removeSigningKey(String kid) {
        String provider = signingKeys().get(kid);
        if (provider == null) {
            throw new AssertionError("no signature key " + kid + " in realm " + REALM);
        }
        admin("DELETE", "/components/" + provider, null, 204);
    }

    /** The key ids the realm publishes at its JWKS URL right now. */
    public List<String> publishedKeyIds() {
        JsonNode jwks = send(HttpRequest.newBuilder(URI.create(jwksUrl())).GET(), 200);
        List<String> out = new ArrayList<>();
        jwks.get("keys").forEach(k -> out.add(k.get("kid").asText()));
        return out;
    }

    private JsonNode admin(String method, String path, Object body, int expected) {
        Map<String, String> form = Map.of("grant_type", "password", "client_id", "admin-cli", "username", "admin",
                "password", adminPassword);
        String adminToken = send(HttpRequest.newBuilder(URI.create("https://localhost:" + port
                + "/realms/master/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(formBody(form))), 200).get("access_token").asText();
        HttpRequest.BodyPublisher publisher;
        try {
            publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/admin/realms/" + REALM + path))
                .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
                .method(method, publisher), expected);
    }

    private JsonNode send(HttpRequest.Builder request, int expected) {
        try {
            HttpResponse<String> response = client().send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != expected) {
                throw new AssertionError("Keycloak answered " + response.statusCode() + " to " + response.request()
                        .method() + " " + response.uri() + ": " + response.body());
            }
            return response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String formBody(Map<String, String> form) {
        return form.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }

    /** The claims of a token, read without verifying it (the test's own look at what Keycloak issued). */
    public static JsonNode claims(String token) {
        return part(token, 1);
    }

    public static String keyId(String token) {
        return part(token, 0).get("kid").asText();
    }

    private static JsonNode part(String token, int index) {
        try {
            return JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[index]));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- process

    /** SIGTERM to Keycloak (kc.sh passes it on), then SIGKILL to whatever of its process tree is left. */
    @Override
    public void close() {
        if (process == null) {
            return;
        }
        List<ProcessHandle> tree = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ProcessHandle child : tree) {
            if (child.isAlive()) {
                child.destroyForcibly();
            }
        }
        RUNNING.remove(this);
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    private String tail(int lines) {
        try (Stream<String> all = Files.lines(log, StandardCharsets.UTF_8)) {
            List<String> list = all.toList();
            return String.join("\n", list.subList(Math.max(0, list.size() - lines), list.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** A self-signed certificate for localhost, and a trust store holding only it. */
    private void makeCertificate() throws IOException {
        Files.createDirectories(tls);
        Files.deleteIfExists(tls.resolve("server.p12"));
        Files.deleteIfExists(tls.resolve("trust.p12"));
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(keytool, "-genkeypair", "-alias", "keycloak", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12",
                "-keystore", tls.resolve("server.p12").toString(), "-storepass", storePassword, "-keypass",
                storePassword);
        run(keytool, "-exportcert", "-rfc", "-alias", "keycloak", "-keystore", tls.resolve("server.p12").toString(),
                "-storepass", storePassword, "-file", tls.resolve("server.crt").toString());
        run(keytool, "-importcert", "-noprompt", "-alias", "keycloak", "-file", tls.resolve("server.crt").toString(),
                "-storetype", "PKCS12", "-keystore", trustStore().toString(), "-storepass", storePassword);
    }

    private void run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command).replace(storePassword, "***") + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private synchronized HttpClient client() {
        if (http == null) {
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(trustStore())) {
                    store.load(in, storePassword.toCharArray());
                }
                TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(store);
                SSLContext ssl = SSLContext.getInstance("TLS");
                ssl.init(null, trust.getTrustManagers(), new SecureRandom());
                http = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(2)).build();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
        return http;
    }

    // ---------------------------------------------------------------- Java 21+

    /** A JDK that can run Keycloak, or an {@link AssertionError} saying what was tried and how to provide one. */
    static Path findJava() {
        List<String> tried = new ArrayList<>();
        List<Path> candidates = new ArrayList<>();
        Optional.ofNullable(System.getProperty("keycloak.java.home")).map(Path::of).ifPresent(candidates::add);
        Optional.ofNullable(System.getenv("KEYCLOAK_JAVA_HOME")).map(Path::of).ifPresent(candidates::add);
        Optional.ofNullable(System.getenv("JAVA_HOME")).map(Path::of).ifPresent(candidates::add);
        candidates.add(Path.of(System.getProperty("java.home")));
        candidates.addAll(toolchainJdks());
        candidates.addAll(installed(Path.of("/usr/lib/jvm")));
        for (Path candidate : candidates) {
            int version = javaVersion(candidate);
            tried.add(candidate + (version > 0 ? " (Java " + version + ")" : " (no JDK)"));
            if (version >= MIN_JAVA && Files.isExecutable(candidate.resolve("bin").resolve("java"))) {
                return candidate;
            }
        }
        throw new AssertionError("Keycloak needs Java " + MIN_JAVA + " or later and none was found. Tried: "
                + String.join(", ", tried) + ". Install one (for example under /usr/lib/jvm), or point"
                + " -Dkeycloak.java.home, KEYCLOAK_JAVA_HOME or JAVA_HOME at it.");
    }

    /** The JDKs under {@code dir}, newest first. */
    private static List<Path> installed(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory)
                    .sorted(Comparator.comparingInt(Keycloak::javaVersion).reversed()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static final Pattern JDK_HOME = Pattern.compile("<jdkHome>\\s*([^<]+?)\\s*</jdkHome>");

    private static List<Path> toolchainJdks() {
        Path toolchains = Path.of(System.getProperty("user.home"), ".m2", "toolchains.xml");
        if (!Files.isRegularFile(toolchains)) {
            return List.of();
        }
        try {
            Matcher m = JDK_HOME.matcher(Files.readString(toolchains));
            List<Path> out = new ArrayList<>();
            while (m.find()) {
                out.add(Path.of(m.group(1)));
            }
            return out;
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The feature version a JDK's {@code release} file names, or 0. */
    static int javaVersion(Path home) {
        Path release = home.resolve("release");
        if (!Files.isRegularFile(release)) {
            return 0;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(release)) {
            p.load(in);
        } catch (IOException e) {
            return 0;
        }
        String version = p.getProperty("JAVA_VERSION", "").replace("\"", "");
        Matcher m = Pattern.compile("^(1\\.)?(\\d+)").matcher(version);
        return m.find() ? Integer.parseInt(m.group(2)) : 0;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String random() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
