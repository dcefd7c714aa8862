package dev.atrium.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.atrium.support.Api;
import dev.atrium.support.Tokens;
import io.restassured.specification.RequestSpecification;
import io.smallrye.jwt.build.JwtClaimsBuilder;

/**
 * One cell of Atrium run as it ships: the packaged application ({@code target/quarkus-app/quarkus-run.jar}, or the
 * native binary after {@code -Dnative}, whichever {@code target/quarkus-artifact.properties} names) started as a child
 * process with the {@code prod} profile, configured only through environment variables, as a deployment configures it.
 * <pre>
 * try (CellDatabase db = CellDatabase.start("export");
 *         PackagedCell cell = PackagedCell.create("export", "us-east-1", db).jvmOptions("-Xmx96m").start()) {
 *     cell.as(cell.token(Tokens.userClaims("ann"))).get("/v1/me").then().statusCode(200);
 *     db.count("select count(*) from workspaces");
 * }
 * </pre>
 * Two cells that name each other as peers: {@code create} both (each reserves its HTTP port, so {@link #baseUrl()} is
 * known before start), {@link #peer(PackagedCell)} each with the other, then {@link #startAll}.
 * <p>
 * <b>Database.</b> Each cell runs on a {@link CellDatabase} of the test's own, started in the test JVM: it outlives the
 * cell, so {@link #kill()} and {@link #restart()} keep the data, and the test checks rows with SQL on it. The jar built by
 * the default Maven profile also carries the embedded-PostgreSQL extension, which starts a server of its own at every
 * boot, on a port fixed when the jar was built, with no switch to turn it off. That server cannot be the cells'
 * database: two cells of one jar would share it, it dies with its process, and its port is the same for every cell
 * (the second cell's server cannot bind it; its readiness check then reaches the first one, so both boot). It is left
 * unused: the datasource is set through {@code QUARKUS_DATASOURCE_*} variables, which outrank the extension's settings
 * (the production {@code ATRIUM_DB_*} ones are set too), and Flyway migrates the test's database at start.
 * {@link #kill()} also stops that leftover server, which would otherwise outlive the killed process.
 * <p>
 * Output goes to {@code target/it-logs/<name>.log} (appended across restarts); a cell that is not ready within 90 s, or
 * exits, fails the test with the tail of that log. Cells still running when the test JVM exits are stopped.
 * <p>
 * Health and metrics answer on the cell's management port ({@link #managementUrl()}), reserved beside its HTTP port.
 * {@link #runJob} runs the packaged application once as a command (chores mode, the migration Job) with only the
 * environment the test gives it.
 */
public final class PackagedCell implements AutoCloseable {

    static final Path TARGET = Path.of("target").toAbsolutePath();
    static final Path LOG_DIR = TARGET.resolve("it-logs");

    /** A JIT that compiles quickly, for a quicker boot on two cores. */
    static final List<String> DEFAULT_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1");
    static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    /** Stable for the test JVM, so a restarted cell still opens what it sealed and accepts keys it issued. */
    private static final String PEPPER = random(32);
    private static final String SEAL_KEY = random(32);
    private static final List<PackagedCell> RUNNING = new CopyOnWriteArrayList<>();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private static final Pattern EMBEDDED_DATA_DIR = Pattern.compile("existing directory (\\S+/epg\\d+)");

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(PackagedCell::stop)));
    }

    private final String name;
    private final String region;
    private final CellDatabase database;
    private final int port;
    private final int managementPort;
    private final Path log;
    private final Map<String, String> peers = new LinkedHashMap<>();
    private final List<String> jvmOptions = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private String databaseUser;
    private Process process;
    private long logOffset;

    private PackagedCell(String name, String region, CellDatabase database) {
        this.name = name;
        this.region = region;
        this.database = database;
        this.port = freePort();
        this.managementPort = freePort();
        this.databaseUser = database.user();
        this.log = LOG_DIR.resolve(name + ".log");
    }

    /**
     * A cell serving {@code region} on {@code database}, not started yet; its HTTP port is reserved now.
     * {@code name} names the log file, so keep it unique in the test run.
     */
    public static PackagedCell create(String name, String region, CellDatabase database) {
        return new PackagedCell(name, region, database);
    }

    /** Adds a peer cell (region to base URL) before start; plain-HTTP peers are allowed for these cells. */
    public PackagedCell peer(String peerRegion, String baseUrl) {
        peers.put(peerRegion, baseUrl);
        return this;
    }

    public PackagedCell peer(PackagedCell other) {
        return peer(other.region, other.baseUrl());
    }

    /** Extra JVM (or native runtime) options, for example {@code -Xmx96m}; they apply from the next start. */
    public PackagedCell jvmOptions(String... options) {
        jvmOptions.addAll(List.of(options));
        return this;
    }

    /** An extra environment variable (it overrides the harness' own); applies from the next start. */
    public PackagedCell env(String key, String value) {
        env.put(key, value);
        return this;
    }

    /** Leaves {@code key} out of the environment, as a deployment that forgot it would; applies from the next start. */
    public PackagedCell withoutEnv(String key) {
        env.put(key, null);
        return this;
    }

    /**
     * Starts the process expecting it to refuse to start: answers its exit code, or fails when it is still running
     * (or became ready) after {@code timeout}.
     */
    public int startExpectingExit(Duration timeout) {
        launch();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
                throw new AssertionError(name + " was still running after " + timeout + "; " + log + " ends:\n"
                        + logTail(40));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        RUNNING.remove(this);
        return process.exitValue();
    }

    /** Connects as {@code user} instead of the server's superuser (see {@link CellDatabase#createRoles}). */
    public PackagedCell databaseUser(String user) {
        this.databaseUser = user;
        return this;
    }

    /** Starts the process and waits until it is ready. */
    public PackagedCell start() {
        launch();
        awaitReady();
        return this;
    }

    /** Starts every cell at once, then waits for each: two boots overlap instead of adding up. */
    public static void startAll(PackagedCell... cells) {
        for (PackagedCell cell : cells) {
            cell.launch();
        }
        for (PackagedCell cell : cells) {
            cell.awaitReady();
        }
    }

    public String name() {
        return name;
    }

    public String region() {
        return region;
    }

    public int port() {
        return port;
    }

    /** {@code http://localhost:<port>}, also the base URL the cell announces and its peers route to. */
    public String baseUrl() {
        return "http://localhost:" + port;
    }

    /** {@code http://localhost:<management port>}: health ({@code /q/health/*}) and metrics ({@code /q/metrics}). */
    public String managementUrl() {
        return "http://localhost:" + managementPort;
    }

    public CellDatabase database() {
        return database;
    }

    public String jdbcUrl() {
        return database.jdbcUrl();
    }

    public Path logFile() {
        return log;
    }

    /** A token this cell (and every other packaged cell) trusts, for claims built with {@link Tokens}. */
    public String token(JwtClaimsBuilder claims) {
        return TrustedKey.sign(claims);
    }

    /**
     * A request to this cell with {@code token} (JSON in and out), as {@code dev.atrium.support.Api#as} makes them.
     * Redirects are not followed: a 307 to another cell is an answer to check. The port is set on the request itself,
     * so a global rest-assured port (set by {@code @QuarkusIntegrationTest}) cannot redirect it elsewhere.
     */
    public RequestSpecification as(String token) {
        return Api.as(token).baseUri("http://localhost").port(port).redirects().follow(false);
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The process id of the running (or last) process: a test that must not restart the cell compares it. */
    public long pid() {
        return process.pid();
    }

    /** SIGTERM: the graceful shutdown a platform sends, waiting up to 30 s for the process to exit. */
    public void stop() {
        if (!isRunning()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RUNNING.remove(this);
    }

    /** SIGKILL: the process dies at once, with no shutdown of any kind (a crash, an OOM kill). */
    public void kill() {
        if (process == null) {
            return;
        }
        String embeddedDataDir = embeddedDataDir();
        process.destroyForcibly();
        try {
            process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RUNNING.remove(this);
        stopLeftoverEmbeddedServer(embeddedDataDir);
    }

    /** Stops the cell if it runs (SIGTERM) and starts it again on the same port and database. */
    public PackagedCell restart() {
        stop();
        return start();
    }

    @Override
    public void close() {
        stop();
    }

    /** The last {@code lines} lines this cell's current (or last) process wrote. */
    public String logTail(int lines) {
        List<String> all = currentRunLog().lines().collect(Collectors.toList());
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    // ---------------------------------------------------------------- process

    private void launch() {
        if (isRunning()) {
            throw new IllegalStateException(name + " is already running");
        }
        Artifact artifact = Artifact.read();
        List<String> command = new ArrayList<>();
        if (artifact.isNative()) {
            command.add(artifact.path().toString());
            command.addAll(jvmOptions);
        } else {
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(DEFAULT_JVM_OPTIONS);
            command.addAll(jvmOptions);
            command.add("-jar");
            command.add(artifact.path().toString());
        }
        ProcessBuilder builder = new ProcessBuilder(command).directory(TARGET.toFile()).redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.startsWith("ATRIUM_") || k.startsWith("QUARKUS_"));
        builder.environment().putAll(environment());
        try {
            Files.createDirectories(LOG_DIR);
            Files.writeString(log, "==== " + Instant.now() + " " + String.join(" ", command) + "\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            logOffset = Files.size(log);
            process = builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name, e);
        }
        RUNNING.add(this);
    }

    /** Everything the prod profile needs, the way a deployment passes it. */
    private Map<String, String> environment() {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        e.put("QUARKUS_MANAGEMENT_PORT", String.valueOf(managementPort));
        e.put("ATRIUM_CELL_REGION", region);
        e.put("ATRIUM_CELL_BASE_URL", baseUrl());
        if (!peers.isEmpty()) {
            e.put("ATRIUM_CELL_PEER_LIST", peers.entrySet().stream().map(p -> p.getKey() + "=" + p.getValue())
                    .collect(Collectors.joining(",")));
        }
        e.put("ATRIUM_CELL_ALLOW_INSECURE_PEERS", "true");
        e.putAll(prodSettings(database));
        e.putAll(databaseSettings(database, databaseUser));
        env.forEach((key, value) -> {
            if (value == null) {
                e.remove(key);
            } else {
                e.put(key, value);
            }
        });
        return e;
    }

    /**
     * The database settings of a process on {@code database} as {@code user}: the production variables and the
     * Quarkus datasource names, which keep the embedded-PostgreSQL extension of a default-profile jar out of it.
     */
    static Map<String, String> databaseSettings(CellDatabase database, String user) {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("ATRIUM_DB_REACTIVE_URL", database.reactiveUrl());
        e.put("ATRIUM_DB_JDBC_URL", database.jdbcUrl());
        e.put("ATRIUM_DB_USER", user);
        e.put("ATRIUM_DB_PASSWORD", database.password());
        database.datasourceConfig().forEach((k, v) -> e.put(k.toUpperCase().replaceAll("[^A-Z0-9]", "_"), v));
        e.put("QUARKUS_DATASOURCE_USERNAME", user);
        return e;
    }

    /** How a one-off run of the packaged application ended, and what it wrote. */
    public record JobResult(int exitCode, String output) {
    }

    /**
     * Runs the packaged application once, to its end (at most {@code timeout}), with {@code arguments} (for example
     * {@code chores}) and exactly {@code environment} of the {@code ATRIUM_*} and {@code QUARKUS_*} variables: nothing
     * of the serving cell's settings is added. Output goes to {@code target/it-logs/<name>.log}.
     */
    public static JobResult runJob(String name, Map<String, String> environment, Duration timeout,
            String... arguments) {
        Process job = startJob(name, environment, arguments);
        return awaitJob(name, job, timeout);
    }

    /** Starts a one-off run as {@link #runJob} does, without waiting; finish it with {@link #awaitJob}. */
    public static Process startJob(String name, Map<String, String> environment, String... arguments) {
        Artifact artifact = Artifact.read();
        List<String> command = new ArrayList<>();
        if (artifact.isNative()) {
            command.add(artifact.path().toString());
        } else {
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(DEFAULT_JVM_OPTIONS);
            command.add("-jar");
            command.add(artifact.path().toString());
        }
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).directory(TARGET.toFile()).redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.startsWith("ATRIUM_") || k.startsWith("QUARKUS_"));
        builder.environment().putAll(environment);
        Path out = LOG_DIR.resolve(name + ".log");
        try {
            Files.createDirectories(LOG_DIR);
            Files.writeString(out, "==== " + Instant.now() + " " + String.join(" ", command) + "\n",
                    StandardCharsets.UTF_8);
            return builder.redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name, e);
        }
    }

    public static JobResult awaitJob(String name, Process job, Duration timeout) {
        Path out = LOG_DIR.resolve(name + ".log");
        try {
            if (!job.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                job.destroyForcibly().waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                throw new AssertionError(name + " did not end within " + timeout + "; see " + out);
            }
            return new JobResult(job.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            job.destroyForcibly();
            throw new AssertionError("interrupted waiting for " + name, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The variables the prod profile reads ({@code ATRIUM_*}, see application.properties) for a cell on
     * {@code database}, trusting {@link TrustedKey}. Also valid as system properties: the profile reads them through
     * {@code ${ATRIUM_...}} expressions.
     */
    static Map<String, String> prodSettings(CellDatabase database) {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("ATRIUM_DB_REACTIVE_URL", database.reactiveUrl());
        e.put("ATRIUM_DB_JDBC_URL", database.jdbcUrl());
        e.put("ATRIUM_DB_USER", database.user());
        e.put("ATRIUM_DB_PASSWORD", database.password());
        e.put("ATRIUM_MIGRATE_AT_START", "true");
        e.put("ATRIUM_JWT_PUBLIC_KEY_LOCATION", TrustedKey.publicKeyPem().toString());
        e.put("ATRIUM_JWT_ISSUER", Tokens.ISSUER);
        e.put("ATRIUM_JWT_AUDIENCE", Tokens.AUDIENCE);
        e.put("ATRIUM_SERVICE_CLIENTS", "billing-service");
        e.put("ATRIUM_API_KEY_PEPPER", PEPPER);
        e.put("ATRIUM_IDEMPOTENCY_ENCRYPTION_KEY", SEAL_KEY);
        return e;
    }

    private void awaitReady() {
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        HttpRequest ready = HttpRequest.newBuilder(URI.create(managementUrl() + "/q/health/ready"))
                .timeout(Duration.ofSeconds(2)).build();
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                RUNNING.remove(this);
                throw new AssertionError(name + " exited with " + process.exitValue() + " before it was ready; "
                        + log + " ends:\n" + logTail(60));
            }
            try {
                if (HTTP.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + name, e);
            }
            sleep(250);
        }
        String tail = logTail(60);
        kill();
        throw new AssertionError(name + " not ready within " + READY_TIMEOUT.toSeconds() + " s; " + log + " ends:\n"
                + tail);
    }

    private String currentRunLog() {
        try (InputStream in = Files.newInputStream(log)) {
            in.skipNBytes(Math.min(logOffset, Files.size(log)));
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private String embeddedDataDir() {
        Matcher m = EMBEDDED_DATA_DIR.matcher(currentRunLog());
        return m.find() ? m.group(1) : null;
    }

    /** The extension's own server was started by pg_ctl, so it is no child of the killed process and survives it. */
    private static void stopLeftoverEmbeddedServer(String dataDir) {
        if (dataDir == null) {
            return;
        }
        List<ProcessHandle> servers = ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("-D " + dataDir + " ")).orElse(false))
                .collect(Collectors.toList());
        servers.forEach(ProcessHandle::destroy);
        for (ProcessHandle server : servers) {
            try {
                server.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                server.destroyForcibly();
            }
        }
        try (Stream<Path> files = Files.walk(Path.of(dataDir))) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // already gone, or not ours to delete
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What the last package step built, as {@code @QuarkusIntegrationTest} reads it. */
    record Artifact(String type, Path path) {

        boolean isNative() {
            return "native".equals(type);
        }

        static Artifact read() {
            Path file = TARGET.resolve("quarkus-artifact.properties");
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            } catch (IOException e) {
                throw new IllegalStateException("no packaged application (" + file + "): run ./mvnw package first", e);
            }
            String type = p.getProperty("type");
            if (!"jar".equals(type) && !"native".equals(type)) {
                throw new IllegalStateException("cannot run a packaged artifact of type " + type);
            }
            return new Artifact(type, TARGET.resolve(p.getProperty("path")));
        }
    }
}
