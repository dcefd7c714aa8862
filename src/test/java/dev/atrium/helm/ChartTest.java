package dev.atrium.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.knative.sources.v1.PingSource;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1CronJob;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1EnvVar;
import io.kubernetes.client.openapi.models.V1Job;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1SecurityContext;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The Helm chart {@code helm/atrium}: lints, renders for every region overlay in {@code deploy/cells} in both modes,
 * every manifest parses strictly against the Kubernetes and Knative models, each overlay's region and database
 * reach the serving container and the migration Job, and the values schema refuses bad values.
 */
class ChartTest {

    private static final Path CHART = Path.of("helm/atrium");
    private static final Path CELLS = Path.of("deploy/cells");
    private static final String KUBE_VERSION = "1.31.0";
    private static final String RELEASE = "atrium";
    private static final String NAMESPACE = "atrium-cell";
    private static final String HOOK = "atrium.test/hook";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Core kinds and the client-java model that parses each (its fromJson refuses unknown fields). */
    private static final Map<String, Class<?>> CORE = Map.of(
            "apps/v1/Deployment", V1Deployment.class,
            "v1/Service", V1Service.class,
            "v1/ServiceAccount", V1ServiceAccount.class,
            "v1/ConfigMap", V1ConfigMap.class,
            "v1/Pod", V1Pod.class,
            "batch/v1/Job", V1Job.class,
            "batch/v1/CronJob", V1CronJob.class,
            "autoscaling/v2/HorizontalPodAutoscaler", V2HorizontalPodAutoscaler.class,
            "policy/v1/PodDisruptionBudget", V1PodDisruptionBudget.class,
            "networking.k8s.io/v1/NetworkPolicy", V1NetworkPolicy.class);

    /**
     * helm-java's template leaves hook manifests out of its output (the migration Job, the test pod), so the
     * assertions run on a copy of the chart whose hook annotations carry another name; the chart itself is linted
     * and rendered as it is.
     */
    private static Path visibleHooks;

    @BeforeAll
    static void copyChartWithVisibleHooks() throws IOException {
        visibleHooks = Files.createTempDirectory("atrium-chart-").resolve("atrium");
        try (Stream<Path> files = Files.walk(CHART)) {
            for (Path source : files.toList()) {
                Path target = visibleHooks.resolve(CHART.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    String text = Files.readString(source, StandardCharsets.UTF_8);
                    Files.writeString(target, text.replace("helm.sh/hook", HOOK), StandardCharsets.UTF_8);
                }
            }
        }
    }

    @AfterAll
    static void deleteCopy() throws IOException {
        try (Stream<Path> files = Files.walk(visibleHooks.getParent())) {
            for (Path p : files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void chartLintsStrictly() {
        LintResult result = new Helm(CHART).lint().strict().call();
        assertFalse(result.isFailed(), () -> "lint failed: " + result.getMessages());
        List<String> problems = result.getMessages().stream()
                .filter(m -> m.contains("[ERROR]") || m.contains("[WARNING]"))
                .toList();
        assertEquals(List.of(), problems);
    }

    @Test
    void chartRendersAsItIsForEveryOverlayAndMode() {
        for (Path overlay : overlays()) {
            for (String mode : List.of("deployment", "knative")) {
                List<Map<String, Object>> docs = parse(template(CHART, overlay, Map.of("mode", mode)));
                Set<String> kinds = docs.stream().map(ChartTest::kindKey).collect(Collectors.toSet());
                assertTrue(kinds.contains("v1/ConfigMap"), overlay + " " + mode + ": " + kinds);
                assertFalse(kinds.contains("v1/Secret"), "the chart references Secrets, it never writes one");
                docs.forEach(ChartTest::parseStrictly);
            }
        }
    }

    @Test
    void overlaysNameTheirRegionPeersAndOwnDatabase() {
        List<Path> overlays = overlays();
        Set<String> regions = overlays.stream().map(ChartTest::regionOf).collect(Collectors.toCollection(TreeSet::new));
        assertTrue(regions.containsAll(Set.of("us-east-1", "eu-west-1", "ap-southeast-2")), regions.toString());
        Set<String> databases = new HashSet<>();
        for (Path overlay : overlays) {
            Map<String, Object> values = load(overlay);
            String region = regionOf(overlay);
            assertEquals(region, path(values, "cell", "region"), overlay.toString());
            Map<String, Object> peers = map(path(values, "cell", "peers"));
            Set<String> others = new TreeSet<>(regions);
            others.remove(region);
            assertEquals(others, new TreeSet<>(peers.keySet()), overlay + ": every other cell is a peer");
            String database = (String) path(values, "database", "secretName");
            assertTrue(database.contains(region), overlay + ": database secret " + database + " names its region");
            assertTrue(databases.add(database), overlay + ": database secret shared with another cell");
        }
    }

    @Test
    void deploymentModeWiresEachCellToItsRegionAndDatabase() {
        for (Path overlay : overlays()) {
            List<Map<String, Object>> docs = render(overlay, "deployment");
            assertEquals(Set.of("v1/ServiceAccount", "v1/ConfigMap", "v1/Service", "apps/v1/Deployment",
                    "autoscaling/v2/HorizontalPodAutoscaler", "policy/v1/PodDisruptionBudget",
                    "networking.k8s.io/v1/NetworkPolicy", "batch/v1/CronJob", "batch/v1/Job", "v1/Pod"),
                    docs.stream().map(ChartTest::kindKey).collect(Collectors.toSet()), overlay.toString());

            V1Deployment deployment = (V1Deployment) parseStrictly(one(docs, "apps/v1/Deployment"));
            V1PodSpec pod = deployment.getSpec().getTemplate().getSpec();
            V1Container container = pod.getContainers().get(0);
            assertServingContainer(overlay, container, true);
            assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot());
            assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
            assertEquals("http", container.getLivenessProbe().getHttpGet().getPort().getStrValue());
            assertNotNull(deployment.getSpec().getTemplate().getMetadata().getAnnotations().get("checksum/cell-config"));
            assertEquals("true",
                    deployment.getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/scrape"));

            V2HorizontalPodAutoscaler hpa = (V2HorizontalPodAutoscaler) parseStrictly(
                    one(docs, "autoscaling/v2/HorizontalPodAutoscaler"));
            assertEquals(deployment.getMetadata().getName(), hpa.getSpec().getScaleTargetRef().getName());
            assertEquals(deployment.getSpec().getSelector().getMatchLabels(),
                    ((V1Service) parseStrictly(one(docs, "v1/Service"))).getSpec().getSelector());

            V1CronJob cron = (V1CronJob) parseStrictly(one(docs, "batch/v1/CronJob"));
            V1Container trigger = cron.getSpec().getJobTemplate().getSpec().getTemplate().getSpec().getContainers().get(0);
            assertTrue(String.join(" ", trigger.getCommand()).contains("-X POST"));
            assertTrue(String.join(" ", trigger.getCommand()).contains("/internal/v1/background-work"));
            V1EnvVar token = env(trigger, "ATRIUM_BACKGROUND_WORK_TOKEN");
            assertEquals(null, token.getValue(), "the bearer token is a Secret reference");
            assertEquals("atrium-" + regionOf(overlay) + "-app", token.getValueFrom().getSecretKeyRef().getName());

            assertMigrationJob(overlay, docs);
            assertConfigMap(overlay, docs);
            assertReadinessTestPod(docs, ":80/q/health/ready");
        }
    }

    @Test
    void knativeModeScalesToZeroAndWiresEachCellToItsRegionAndDatabase() {
        for (Path overlay : overlays()) {
            List<Map<String, Object>> docs = render(overlay, "knative");
            assertEquals(Set.of("v1/ServiceAccount", "v1/ConfigMap", "serving.knative.dev/v1/Service",
                    "sources.knative.dev/v1/PingSource", "policy/v1/PodDisruptionBudget",
                    "networking.k8s.io/v1/NetworkPolicy", "batch/v1/Job", "v1/Pod"),
                    docs.stream().map(ChartTest::kindKey).collect(Collectors.toSet()), overlay.toString());

            Service service = (Service) parseStrictly(one(docs, "serving.knative.dev/v1/Service"));
            Map<String, String> annotations = service.getSpec().getTemplate().getMetadata().getAnnotations();
            assertEquals("0", annotations.get("autoscaling.knative.dev/min-scale"));
            assertEquals("true", annotations.get("prometheus.io/scrape"));
            io.fabric8.kubernetes.api.model.Container container =
                    service.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertServingContainer(overlay, asCore(container, V1Container.class), false);

            PingSource ping = (PingSource) parseStrictly(one(docs, "sources.knative.dev/v1/PingSource"));
            assertEquals(service.getMetadata().getName(), ping.getSpec().getSink().getRef().getName());
            assertEquals("/internal/v1/background-work", ping.getSpec().getSink().getUri());

            assertMigrationJob(overlay, docs);
            assertConfigMap(overlay, docs);
            assertReadinessTestPod(docs, ".svc.cluster.local/q/health/ready");
        }
    }

    @Test
    void knativeModeCanTriggerBackgroundWorkWithTheBearerTokenCronJob() {
        List<Map<String, Object>> docs = render(overlays().get(0), "knative",
                Map.of("backgroundWork.knativeTrigger", "cronjob", "knative.startupProbe", "true"));
        Service service = (Service) parseStrictly(one(docs, "serving.knative.dev/v1/Service"));
        assertEquals("/q/health/started",
                service.getSpec().getTemplate().getSpec().getContainers().get(0).getStartupProbe().getHttpGet().getPath());
        Set<String> kinds = docs.stream().map(ChartTest::kindKey).collect(Collectors.toSet());
        assertTrue(kinds.contains("batch/v1/CronJob"), kinds.toString());
        assertFalse(kinds.contains("sources.knative.dev/v1/PingSource"), kinds.toString());
        docs.forEach(ChartTest::parseStrictly);
    }

    @Test
    void serviceMonitorToggleAndNativeFlavorAndJwksUrl() {
        Path overlay = overlays().get(0);
        Map<String, Object> sets = new LinkedHashMap<>();
        sets.put("metrics.serviceMonitor.enabled", "true");
        sets.put("metrics.podAnnotations", "false");
        sets.put("image.flavor", "native");
        sets.put("jwt.keySource", "jwksUrl");
        sets.put("networkPolicy.egress.restrict", "true");
        sets.put("networkPolicy.egress.databaseCidrs[0]", "10.20.0.0/16");
        List<Map<String, Object>> docs = render(overlay, "deployment", sets);
        docs.stream().filter(d -> !kindKey(d).startsWith("monitoring.coreos.com/")).forEach(ChartTest::parseStrictly);

        Map<String, Object> monitor = one(docs, "monitoring.coreos.com/v1/ServiceMonitor");
        Map<String, Object> endpoint = map(((List<?>) path(monitor, "spec", "endpoints")).get(0));
        assertEquals("/q/metrics", endpoint.get("path"));
        assertEquals("http", endpoint.get("port"));

        V1Deployment deployment = (V1Deployment) parseStrictly(one(docs, "apps/v1/Deployment"));
        V1Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("atrium:native", container.getImage());
        assertEquals(1001L, container.getSecurityContext().getRunAsUser());
        assertTrue(container.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/work/config")));
        assertTrue(container.getEnv().stream().noneMatch(e -> e.getName().startsWith("JAVA_")));
        assertEquals("jwks-url", env(container, "ATRIUM_JWT_PUBLIC_KEY_LOCATION").getValueFrom().getSecretKeyRef().getKey());
        assertFalse(deployment.getSpec().getTemplate().getMetadata().getAnnotations().containsKey("prometheus.io/scrape"));

        V1NetworkPolicy policy = (V1NetworkPolicy) parseStrictly(one(docs, "networking.k8s.io/v1/NetworkPolicy"));
        assertEquals(List.of("Ingress", "Egress"), policy.getSpec().getPolicyTypes());
        assertTrue(policy.getSpec().getEgress().stream()
                .anyMatch(rule -> rule.getTo() != null
                        && rule.getTo().stream().anyMatch(p -> "10.20.0.0/16".equals(p.getIpBlock().getCidr()))));
    }

    @Test
    void schemaRejectsBadValues() {
        Path overlay = overlays().get(0);
        assertRejected(overlay, Map.of("mode", "serverless"), "at '/mode': value must be one of");
        assertRejected(overlay, Map.of("cell.region", "EU_West_1"), "at '/cell/region': 'EU_West_1' does not match");
        assertRejected(overlay, Map.of("cell.region", "-eu-west-1"), "at '/cell/region'");
        assertRejected(overlay, Map.of("cell.region", "a".repeat(33)), "at '/cell/region'");
        assertRejected(overlay, Map.of("cell.peers.Bad_Region", "https://x.atrium.example"), "invalid propertyName 'Bad_Region'");
        assertRejected(overlay, Map.of("cell.baseUrl", "eu-west-1.atrium.example"), "at '/cell/baseUrl'");
        assertRejected(overlay, Map.of("cell.peers.us-east-1", "http://us-east-1.atrium.example"),
                "at '/cell/peers/us-east-1'");
        assertRejected(overlay, Map.of("replicas", "3"), "additional properties 'replicas' not allowed");
        assertRejected(overlay, Map.of("database.password", "hunter2"), "additional properties 'password' not allowed");
        assertRejected(overlay, Map.of("image.flavor", "graal"), "at '/image/flavor'");
        // Not expressible in the schema, refused by the chart itself.
        RuntimeException self = assertThrows(RuntimeException.class, () -> template(CHART, overlay,
                Map.of("cell.peers." + regionOf(overlay), "https://self.atrium.example")));
        assertTrue(self.getMessage().contains("cell.peers must not list the cell's own region"), self.getMessage());
    }

    @Test
    void schemaClosesAndRequiresEveryObjectLevel() throws IOException {
        JsonNode schema = JSON.readTree(CHART.resolve("values.schema.json").toFile());
        List<String> open = new ArrayList<>();
        checkClosed(schema, "", open);
        assertEquals(List.of(), open);
        assertEquals("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$",
                schema.at("/properties/cell/properties/region/pattern").asText());
    }

    /** Every object with properties is closed and requires all of them; maps constrain their values' schema. */
    private static void checkClosed(JsonNode node, String at, List<String> open) {
        if (!node.isObject()) {
            return;
        }
        JsonNode properties = node.get("properties");
        if (properties != null) {
            JsonNode additional = node.get("additionalProperties");
            if (additional == null || !additional.isBoolean() || additional.asBoolean()) {
                open.add(at + " allows additional properties");
            }
            Set<String> required = new TreeSet<>();
            node.path("required").forEach(r -> required.add(r.asText()));
            Set<String> names = new TreeSet<>();
            properties.fieldNames().forEachRemaining(names::add);
            if (!required.equals(names)) {
                open.add(at + " requires " + required + " of " + names);
            }
            properties.fields().forEachRemaining(e -> checkClosed(e.getValue(), at + "/" + e.getKey(), open));
        } else if ("object".equals(node.path("type").asText())) {
            JsonNode additional = node.get("additionalProperties");
            if (additional == null || !additional.isObject()) {
                open.add(at + " is an object without properties and without a schema for its values");
            } else {
                checkClosed(additional, at + "/*", open);
            }
        }
        if (node.has("items")) {
            checkClosed(node.get("items"), at + "[]", open);
        }
    }

    /** Trusted issuers and services as values, as an operator would write them in a values file. */
    private static final String TRUST_VALUES = """
            jwt:
              trustedIssuers:
                - name: cluster
                  issuer: https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE
                  keys: https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE/keys
                  audiences: [atrium]
                  algorithms: [RS256, ES256]
              services:
                - name: billing
                  issuer: users
                  claims: {client_id: billing-service}
                  scopes: []
                - name: ci-runner
                  issuer: cluster
                  claims: {sub: "system:serviceaccount:ci:runner"}
                  scopes: [atrium:workspaces:read, atrium:events:read]
              maxTokenAge: 1h
            """;

    @Test
    void trustedIssuersAndServicesReachTheCellConfigAsTheServiceReadsIt() throws IOException {
        Path values = Files.createTempFile("atrium-trust-", ".yaml");
        try {
            Files.writeString(values, TRUST_VALUES);
            Path overlay = overlays().get(0);
            String rendered = new Helm(visibleHooks).template().withName(RELEASE).withNamespace(NAMESPACE)
                    .withKubeVersion(KUBE_VERSION).withValuesFile(overlay).withValuesFile(values).set("mode",
                            "deployment").call();
            V1ConfigMap config = (V1ConfigMap) parseStrictly(one(parse(rendered), "v1/ConfigMap"));
            String properties = config.getData().get("application.properties");
            for (String line : List.of(
                    "atrium.security.issuers.cluster.issuer=https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE",
                    "atrium.security.issuers.cluster.keys=https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE/keys",
                    "atrium.security.issuers.cluster.algorithms=RS256,ES256",
                    "atrium.security.services.billing.claims.client_id=billing-service",
                    "atrium.security.services.ci-runner.claims.sub=system:serviceaccount:ci:runner",
                    "atrium.security.services.ci-runner.scopes=atrium:workspaces:read,atrium:events:read",
                    "atrium.security.max-token-age=1h")) {
                assertTrue(properties.contains(line + "\n"), line + " in\n" + properties);
            }
            assertFalse(properties.contains("atrium.security.services.billing.scopes"), properties);

            // The service reads the rendered file (and the user issuer from its environment) into the same model.
            java.util.Properties loaded = new java.util.Properties();
            loaded.load(new java.io.StringReader(properties));
            Map<String, String> all = new LinkedHashMap<>();
            loaded.forEach((k, v) -> all.put((String) k, (String) v));
            all.put("atrium.security.user-issuer.issuer", "https://sso.example.com/realms/atrium");
            all.put("atrium.security.user-issuer.keys", "https://sso.example.com/realms/atrium/protocol/openid-connect/certs");
            var trust = dev.atrium.common.security.token.TrustSettings.from(new io.smallrye.config.SmallRyeConfigBuilder()
                    .withMapping(dev.atrium.common.security.SecurityConfig.class)
                    .withConverter(java.time.Duration.class, 200, new io.quarkus.runtime.configuration.DurationConverter())
                    .withSources(new io.smallrye.config.PropertiesConfigSource(all, "cell-config", 100)).build()
                    .getConfigMapping(dev.atrium.common.security.SecurityConfig.class));
            assertEquals(List.of("users", "cluster"), trust.issuers().stream().map(i -> i.name()).toList());
            assertEquals(List.of("atrium"), trust.issuers().get(1).audiences());
            assertEquals(Set.of("billing", "ci-runner"), trust.services().stream().map(r -> r.name())
                    .collect(Collectors.toSet()));
            assertEquals(java.time.Duration.ofHours(1), trust.maxTokenAge().orElseThrow());
        } finally {
            Files.deleteIfExists(values);
        }
    }

    @Test
    void trustValuesAreSchemaChecked() {
        Path overlay = overlays().get(0);
        Map<String, Object> issuer = new LinkedHashMap<>(Map.of("jwt.trustedIssuers[0].name", "cluster",
                "jwt.trustedIssuers[0].issuer", "https://kubernetes.default.svc.cluster.local",
                "jwt.trustedIssuers[0].keys", "https://kubernetes.default.svc.cluster.local/openid/v1/jwks",
                "jwt.trustedIssuers[0].audiences[0]", "atrium", "jwt.trustedIssuers[0].algorithms[0]", "RS256"));
        template(CHART, overlay, issuer);
        Map<String, Object> plainHttp = new LinkedHashMap<>(issuer);
        plainHttp.put("jwt.trustedIssuers[0].keys", "http://kubernetes.default.svc/openid/v1/jwks");
        assertRejected(overlay, plainHttp, "/jwt/trustedIssuers/0/keys");
        Map<String, Object> users = new LinkedHashMap<>(issuer);
        users.put("jwt.trustedIssuers[0].name", "users");
        assertRejected(overlay, users, "/jwt/trustedIssuers/0/name");
        Map<String, Object> partial = new LinkedHashMap<>(issuer);
        partial.remove("jwt.trustedIssuers[0].algorithms[0]");
        assertRejected(overlay, partial, "algorithms");

        Map<String, Object> service = new LinkedHashMap<>(Map.of("jwt.services[0].name", "billing",
                "jwt.services[0].issuer", "users", "jwt.services[0].claims.client_id", "billing-service",
                "jwt.services[0].scopes[0]", "atrium:workspaces:write"));
        template(CHART, overlay, service);
        Map<String, Object> badScope = new LinkedHashMap<>(service);
        badScope.put("jwt.services[0].scopes[0]", "atrium:everything");
        assertRejected(overlay, badScope, "/jwt/services/0/scopes/0");
        Map<String, Object> noClaims = new LinkedHashMap<>(service);
        noClaims.remove("jwt.services[0].claims.client_id");
        assertRejected(overlay, noClaims, "claims");
        assertRejected(overlay, Map.of("jwt.maxTokenAge", "one hour"), "/jwt/maxTokenAge");
        // Not expressible in the schema, refused by the chart itself.
        Map<String, Object> unknownIssuer = new LinkedHashMap<>(service);
        unknownIssuer.put("jwt.services[0].issuer", "cluster");
        RuntimeException e = assertThrows(RuntimeException.class, () -> template(CHART, overlay, unknownIssuer));
        assertTrue(e.getMessage().contains("names issuer cluster, which is neither users nor a jwt.trustedIssuers"),
                e.getMessage());
    }

    @Test
    void theCallingWorkloadExampleAsksForAnAtriumTokenOfItsOwn() throws IOException {
        List<Map<String, Object>> docs = parse(Files.readString(Path.of("deploy/examples/calling-workload.yaml")));
        docs.forEach(ChartTest::parseStrictly);
        V1ServiceAccount account = (V1ServiceAccount) parseStrictly(one(docs, "v1/ServiceAccount"));
        V1Deployment deployment = (V1Deployment) parseStrictly(one(docs, "apps/v1/Deployment"));
        V1PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        assertEquals(account.getMetadata().getName(), pod.getServiceAccountName());
        assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken());
        var token = pod.getVolumes().get(0).getProjected().getSources().get(0).getServiceAccountToken();
        assertEquals("atrium", token.getAudience());
        String mount = pod.getContainers().get(0).getVolumeMounts().get(0).getMountPath();
        assertTrue(String.join(" ", pod.getContainers().get(0).getCommand()).contains(mount + "/" + token.getPath()));
        // The subject its token will carry is the one the example's values recognise.
        String sub = "system:serviceaccount:" + account.getMetadata().getNamespace() + ":" + account.getMetadata().getName();
        assertTrue(Files.readString(Path.of("deploy/examples/calling-workload.yaml")).contains("sub: \"" + sub + "\""));
    }

    @Test
    void strictParsingCatchesUnknownFields() {
        List<Map<String, Object>> docs = render(overlays().get(0), "deployment");
        Map<String, Object> deployment = deepCopy(one(docs, "apps/v1/Deployment"));
        Map<String, Object> container = map(((List<?>) path(deployment, "spec", "template", "spec", "containers")).get(0));
        container.put("envv", List.of());
        assertThrows(AssertionError.class, () -> parseStrictly(deployment));

        Map<String, Object> knative = deepCopy(one(render(overlays().get(0), "knative"), "serving.knative.dev/v1/Service"));
        Map<String, Object> kcontainer = map(((List<?>) path(knative, "spec", "template", "spec", "containers")).get(0));
        map(kcontainer.get("securityContext")).put("readOnlyRootFs", true);
        assertThrows(AssertionError.class, () -> parseStrictly(knative));
    }

    private static void assertServingContainer(Path overlay, V1Container container, boolean startupProbe) {
        assertCellEnv(overlay, container);
        assertEquals("false", env(container, "ATRIUM_MIGRATE_AT_START").getValue());
        assertEquals("/q/health/live", container.getLivenessProbe().getHttpGet().getPath());
        assertEquals("/q/health/ready", container.getReadinessProbe().getHttpGet().getPath());
        if (startupProbe) {
            assertEquals("/q/health/started", container.getStartupProbe().getHttpGet().getPath());
        } else {
            assertEquals(null, container.getStartupProbe(), "Knative probes readiness itself until started");
        }
        assertNotNull(container.getResources().getRequests().get("cpu"));
        assertNotNull(container.getResources().getLimits().get("memory"));
        assertTrue(container.getVolumeMounts().stream()
                .anyMatch(m -> m.getName().equals("cell-config") && m.getMountPath().endsWith("/config")));
    }

    private static void assertMigrationJob(Path overlay, List<Map<String, Object>> docs) {
        V1Job job = (V1Job) parseStrictly(one(docs, "batch/v1/Job"));
        Map<String, String> annotations = job.getMetadata().getAnnotations();
        assertEquals("pre-install,pre-upgrade", annotations.get(HOOK));
        assertEquals("before-hook-creation,hook-succeeded", annotations.get(HOOK + "-delete-policy"));
        V1Container container = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertCellEnv(overlay, container);
        assertEquals("true", env(container, "ATRIUM_MIGRATE_AT_START").getValue());
        assertEquals("true", env(container, "QUARKUS_INIT_AND_EXIT").getValue());
        assertEquals("Never", job.getSpec().getTemplate().getSpec().getRestartPolicy());
    }

    /** The overlay's region and its own database (every connection value a Secret reference) reach the container. */
    private static void assertCellEnv(Path overlay, V1Container container) {
        Map<String, Object> values = load(overlay);
        String region = regionOf(overlay);
        String database = (String) path(values, "database", "secretName");
        assertEquals(region, env(container, "ATRIUM_CELL_REGION").getValue(), overlay.toString());
        assertEquals(path(values, "cell", "baseUrl"), env(container, "ATRIUM_CELL_BASE_URL").getValue());
        Map<String, String> peers = new LinkedHashMap<>();
        for (String pair : env(container, "ATRIUM_CELL_PEER_LIST").getValue().split(",")) {
            String[] kv = pair.split("=", 2);
            peers.put(kv[0], kv[1]);
        }
        assertEquals(map(path(values, "cell", "peers")), peers, overlay.toString());
        for (String name : List.of("ATRIUM_DB_REACTIVE_URL", "ATRIUM_DB_JDBC_URL", "ATRIUM_DB_USER", "ATRIUM_DB_PASSWORD")) {
            V1EnvVar var = env(container, name);
            assertEquals(null, var.getValue(), name + " must be a Secret reference");
            assertEquals(database, var.getValueFrom().getSecretKeyRef().getName(), overlay + " " + name);
        }
        for (String name : List.of("ATRIUM_API_KEY_PEPPER", "ATRIUM_IDEMPOTENCY_ENCRYPTION_KEY")) {
            assertEquals(null, env(container, name).getValue(), name + " must be a Secret reference");
            assertNotNull(env(container, name).getValueFrom().getSecretKeyRef());
        }
        assertEquals("/etc/atrium/jwt/public.pem", env(container, "ATRIUM_JWT_PUBLIC_KEY_LOCATION").getValue());
        assertTrue(container.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/tmp")));
        assertTrue(container.getVolumeMounts().stream()
                .anyMatch(m -> m.getMountPath().equals("/etc/atrium/jwt") && Boolean.TRUE.equals(m.getReadOnly())));
        V1SecurityContext security = container.getSecurityContext();
        assertEquals(Boolean.TRUE, security.getRunAsNonRoot());
        assertEquals(Boolean.TRUE, security.getReadOnlyRootFilesystem());
        assertEquals(Boolean.FALSE, security.getAllowPrivilegeEscalation());
        assertEquals(List.of("ALL"), security.getCapabilities().getDrop());
        assertEquals("RuntimeDefault", security.getSeccompProfile().getType());
    }

    private static void assertConfigMap(Path overlay, List<Map<String, Object>> docs) {
        V1ConfigMap config = (V1ConfigMap) parseStrictly(one(docs, "v1/ConfigMap"));
        String properties = config.getData().get("application.properties");
        assertTrue(properties.contains("atrium.cell.region=" + regionOf(overlay) + "\n"), properties);
        for (String peer : map(path(load(overlay), "cell", "peers")).keySet()) {
            assertTrue(properties.contains("atrium.cell.peers." + peer + "=https://"), properties);
        }
        assertTrue(properties.contains("atrium.plans.team.max-members=100\n"), properties);
    }

    private static void assertReadinessTestPod(List<Map<String, Object>> docs, String urlEnd) {
        V1Pod pod = (V1Pod) parseStrictly(one(docs, "v1/Pod"));
        assertEquals("test", pod.getMetadata().getAnnotations().get(HOOK));
        List<String> command = pod.getSpec().getContainers().get(0).getCommand();
        assertTrue(command.get(command.size() - 1).endsWith(urlEnd), command.toString());
    }

    private static void assertRejected(Path overlay, Map<String, Object> sets, String why) {
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> template(CHART, overlay, sets), () -> "accepted " + sets);
        assertTrue(e.getMessage().contains("values don't meet the specifications of the schema"), e.getMessage());
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    private static List<Path> overlays() {
        try (Stream<Path> files = Files.list(CELLS)) {
            List<Path> overlays = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
            assertFalse(overlays.isEmpty(), "no overlays in " + CELLS);
            return overlays;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String regionOf(Path overlay) {
        String file = overlay.getFileName().toString();
        return file.substring(0, file.length() - ".yaml".length());
    }

    private static List<Map<String, Object>> render(Path overlay, String mode) {
        return render(overlay, mode, Map.of());
    }

    private static List<Map<String, Object>> render(Path overlay, String mode, Map<String, Object> sets) {
        Map<String, Object> all = new LinkedHashMap<>(sets);
        all.put("mode", mode);
        return parse(template(visibleHooks, overlay, all));
    }

    private static String template(Path chart, Path overlay, Map<String, Object> sets) {
        TemplateCommand command = new Helm(chart).template()
                .withName(RELEASE)
                .withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION)
                .withValuesFile(overlay);
        sets.forEach(command::set);
        return command.call();
    }

    /** Splits the rendered stream into documents; duplicate keys are an error, as they are for the API server. */
    private static List<Map<String, Object>> parse(String rendered) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml(new SafeConstructor(options)).loadAll(rendered)) {
            if (doc != null) {
                docs.add(map(doc));
            }
        }
        return docs;
    }

    private static Map<String, Object> load(Path file) {
        try {
            return parse(Files.readString(file)).get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses one manifest with the model of its kind, refusing fields the model does not know. */
    private static Object parseStrictly(Map<String, Object> doc) {
        String kind = kindKey(doc);
        String name = kind + " " + path(doc, "metadata", "name");
        String json;
        try {
            json = JSON.writeValueAsString(doc);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Class<?> core = CORE.get(kind);
        if (core != null) {
            try {
                Method fromJson = core.getMethod("fromJson", String.class);
                return fromJson.invoke(null, json);
            } catch (InvocationTargetException e) {
                throw new AssertionError(name + " does not parse strictly: " + e.getCause().getMessage(), e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        Class<?> fabric8 = switch (kind) {
            case "serving.knative.dev/v1/Service" -> Service.class;
            case "sources.knative.dev/v1/PingSource" -> PingSource.class;
            default -> null;
        };
        if (fabric8 == null) {
            throw new AssertionError("no strict model for " + name);
        }
        Object parsed;
        try {
            parsed = JSON.readValue(json, fabric8);
        } catch (IOException e) {
            throw new AssertionError(name + " does not parse: " + e.getMessage(), e);
        }
        List<String> unknown = new ArrayList<>();
        collectUnknown(parsed, kind, unknown);
        if (!unknown.isEmpty()) {
            throw new AssertionError(name + " has fields its model does not know: " + unknown);
        }
        List<String> differences = new ArrayList<>();
        diff(tree(doc), tree(parsed), "", differences);
        if (!differences.isEmpty()) {
            throw new AssertionError(name + " does not survive a round trip through its model: " + differences);
        }
        return parsed;
    }

    /** The JSON tree of a value as text would carry it (numbers compare by value, not by Java type). */
    private static JsonNode tree(Object value) {
        try {
            return JSON.readTree(JSON.writeValueAsString(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void diff(JsonNode input, JsonNode model, String at, List<String> out) {
        if (input.isObject() && model.isObject()) {
            Set<String> names = new TreeSet<>();
            input.fieldNames().forEachRemaining(names::add);
            model.fieldNames().forEachRemaining(names::add);
            for (String field : names) {
                if (!model.has(field)) {
                    out.add(at + "." + field + " dropped");
                } else if (!input.has(field)) {
                    out.add(at + "." + field + " added");
                } else {
                    diff(input.get(field), model.get(field), at + "." + field, out);
                }
            }
        } else if (input.isArray() && model.isArray() && input.size() == model.size()) {
            for (int i = 0; i < input.size(); i++) {
                diff(input.get(i), model.get(i), at + "[" + i + "]", out);
            }
        } else if (!input.equals(model)) {
            out.add(at + ": " + input + " became " + model);
        }
    }

    /** fabric8 models keep unknown fields in additionalProperties: every one found is a field the model lacks. */
    private static void collectUnknown(Object value, String at, List<String> unknown) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                collectUnknown(item, at + "[" + i++ + "]", unknown);
            }
            return;
        }
        if (value instanceof Map<?, ?> entries) {
            entries.forEach((k, v) -> collectUnknown(v, at + "." + k, unknown));
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || getter.getDeclaringClass() == Object.class
                    || !(getter.getName().startsWith("get") || getter.getName().startsWith("is"))) {
                continue;
            }
            Object child;
            try {
                child = getter.invoke(value);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(k -> unknown.add(at + "." + k));
                }
            } else {
                collectUnknown(child, at + "." + getter.getName(), unknown);
            }
        }
    }

    /** A fabric8 object read strictly by the client-java model of the same Kubernetes type. */
    private static <T> T asCore(Object fabric8, Class<T> model) {
        try {
            return model.cast(model.getMethod("fromJson", String.class).invoke(null, JSON.writeValueAsString(fabric8)));
        } catch (InvocationTargetException e) {
            throw new AssertionError(model.getSimpleName() + " does not parse strictly: " + e.getCause().getMessage());
        } catch (ReflectiveOperationException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String kindKey(Map<String, Object> doc) {
        return doc.get("apiVersion") + "/" + doc.get("kind");
    }

    private static Map<String, Object> one(List<Map<String, Object>> docs, String kind) {
        List<Map<String, Object>> found = docs.stream().filter(d -> kindKey(d).equals(kind)).toList();
        assertEquals(1, found.size(), () -> "expected one " + kind);
        return found.get(0);
    }

    private static V1EnvVar env(V1Container container, String name) {
        List<V1EnvVar> found = container.getEnv().stream().filter(e -> e.getName().equals(name)).toList();
        if (found.size() != 1) {
            fail(container.getName() + ": expected one " + name + ", found " + found.size());
        }
        return found.get(0);
    }

    private static Object path(Map<String, Object> doc, String... keys) {
        Object at = doc;
        for (String key : keys) {
            at = map(at).get(key);
            if (at == null) {
                fail("missing " + String.join(".", keys));
            }
        }
        return at;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        if (!(value instanceof Map)) {
            fail("not a mapping: " + value);
        }
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<String, Object> doc) {
        return JSON.convertValue(doc, Map.class);
    }
}
