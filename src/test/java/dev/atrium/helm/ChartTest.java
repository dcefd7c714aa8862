package dev.atrium.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;

import io.fabric8.knative.serving.v1.Service;
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

/**
 * The Helm chart {@code helm/atrium}: lints, renders for every region overlay in {@code deploy/cells} in both modes,
 * every manifest parses strictly against the Kubernetes and Knative models, and what a platform engineer would check
 * holds for each: the region, peers and databases of each overlay reach the right containers; Knative gets its ports
 * and is left what it manages; nothing sends periodic requests through the serving path; the chores run in a CronJob
 * with the database only; every pod runs the one image; egress names the database, peers and dataplane; pools and
 * replicas fit one connection budget; memory request equals limit; and the values schema refuses bad values.
 */
class ChartTest {

    private static final Path CHART = Path.of("helm/atrium");
    private static final Path CELLS = Path.of("deploy/cells");
    private static final String KUBE_VERSION = "1.31.0";
    private static final String RELEASE = "atrium";
    private static final String NAMESPACE = "atrium-cell";
    private static final String HOOK = "atrium.test/hook";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MANAGEMENT_PORT = 9000;
    /** helm install/upgrade --timeout defaults to 5m0s. */
    private static final long HELM_DEFAULT_TIMEOUT_SECONDS = 300;

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
    void overlaysNameTheirRegionPeersDirectoryAndOwnDatabase() {
        List<Path> overlays = overlays();
        Set<String> regions = overlays.stream().map(ChartTest::regionOf).collect(Collectors.toCollection(TreeSet::new));
        assertTrue(regions.containsAll(Set.of("us-east-1", "eu-west-1", "ap-southeast-2")), regions.toString());
        Set<String> databases = new HashSet<>();
        Set<Object> directories = new HashSet<>();
        for (Path overlay : overlays) {
            Map<String, Object> values = load(overlay);
            String region = regionOf(overlay);
            assertEquals(region, path(values, "cell", "region"), overlay.toString());
            Map<String, Object> peers = map(path(values, "cell", "peers"));
            Set<String> others = new TreeSet<>(regions);
            others.remove(region);
            assertEquals(others, new TreeSet<>(peers.keySet()), overlay + ": every other cell is a peer");
            for (String key : List.of("secretName", "ownerSecretName")) {
                String database = (String) path(values, "database", key);
                assertTrue(database.contains(region), overlay + ": database secret " + database + " names its region");
                assertTrue(databases.add(database), overlay + ": database secret shared: " + database);
            }
            Object directory = path(values, "cell", "directoryRegion");
            assertTrue(regions.contains(directory), overlay + ": directory region " + directory + " is a cell");
            directories.add(directory);
        }
        assertEquals(1, directories.size(), "every cell names the same directory region: " + directories);
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
            assertServingContainer(overlay, container);
            assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot());
            assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
            for (var probe : List.of(container.getStartupProbe(), container.getLivenessProbe(),
                    container.getReadinessProbe())) {
                assertEquals("management", probe.getHttpGet().getPort().getStrValue(), "probes on the management port");
            }
            assertEquals("/q/health/started", container.getStartupProbe().getHttpGet().getPath());
            assertEquals(Map.of("http", 8080, "management", MANAGEMENT_PORT), container.getPorts().stream()
                    .collect(Collectors.toMap(p -> p.getName(), p -> p.getContainerPort())));
            assertNotNull(deployment.getSpec().getTemplate().getMetadata().getAnnotations().get("checksum/cell-config"));
            assertEquals("1", deployment.getSpec().getStrategy().getRollingUpdate().getMaxSurge().toString());

            var spread = pod.getTopologySpreadConstraints();
            assertEquals(1, spread.size(), "replicas spread across zones by default");
            assertEquals("topology.kubernetes.io/zone", spread.get(0).getTopologyKey());
            assertEquals(deployment.getSpec().getSelector().getMatchLabels(),
                    spread.get(0).getLabelSelector().getMatchLabels());

            V2HorizontalPodAutoscaler hpa = (V2HorizontalPodAutoscaler) parseStrictly(
                    one(docs, "autoscaling/v2/HorizontalPodAutoscaler"));
            assertEquals(deployment.getMetadata().getName(), hpa.getSpec().getScaleTargetRef().getName());
            V1Service api = (V1Service) parseStrictly(named(docs, "v1/Service", RELEASE));
            assertEquals(deployment.getSpec().getSelector().getMatchLabels(), api.getSpec().getSelector());
            assertEquals("http", api.getSpec().getPorts().get(0).getTargetPort().getStrValue());

            assertChoresCronJob(overlay, docs, container.getImage());
            assertMigrationJob(overlay, docs, container.getImage());
            assertConfigMap(overlay, docs);
            assertTestPod(docs, ":80/q/openapi");
        }
    }

    @Test
    void knativeModeScalesToZeroAndLeavesToKnativeWhatItManages() {
        for (Path overlay : overlays()) {
            List<Map<String, Object>> docs = render(overlay, "knative");
            assertEquals(Set.of("v1/ServiceAccount", "v1/ConfigMap", "serving.knative.dev/v1/Service", "v1/Service",
                    "networking.k8s.io/v1/NetworkPolicy", "batch/v1/CronJob", "batch/v1/Job", "v1/Pod"),
                    docs.stream().map(ChartTest::kindKey).collect(Collectors.toSet()),
                    overlay + ": no PodDisruptionBudget, no HorizontalPodAutoscaler, no PingSource");

            Service service = (Service) parseStrictly(one(docs, "serving.knative.dev/v1/Service"));
            Map<String, String> annotations = service.getSpec().getTemplate().getMetadata().getAnnotations();
            assertEquals("0", annotations.get("autoscaling.knative.dev/min-scale"));
            assertEquals("5", annotations.get("autoscaling.knative.dev/max-scale"));
            V1Container container = asCore(service.getSpec().getTemplate().getSpec().getContainers().get(0),
                    V1Container.class);
            assertServingContainer(overlay, container);
            assertEquals(null, container.getReadinessProbe(),
                    "queue-proxy probes readiness itself; a periodSeconds would slow it down");
            assertEquals(null, container.getStartupProbe());
            assertEquals(null, container.getLivenessProbe(), "off unless knative.livenessProbe");
            assertEquals(1, container.getPorts().size(), "Knative routes to one declared port");
            assertEquals(8080, container.getPorts().get(0).getContainerPort());
            assertTrue(service.getSpec().getTemplate().getSpec().getTopologySpreadConstraints().isEmpty(),
                    "scheduling fields only when set (Knative feature flags)");

            assertChoresCronJob(overlay, docs, container.getImage());
            assertMigrationJob(overlay, docs, container.getImage());
            assertConfigMap(overlay, docs);
            assertTestPod(docs, ".svc.cluster.local/q/openapi");
        }
        Service live = (Service) parseStrictly(one(render(overlays().get(0), "knative",
                Map.of("knative.livenessProbe", "true")), "serving.knative.dev/v1/Service"));
        var liveness = live.getSpec().getTemplate().getSpec().getContainers().get(0).getLivenessProbe();
        assertEquals("/q/health/live", liveness.getHttpGet().getPath());
        assertEquals(MANAGEMENT_PORT, liveness.getHttpGet().getPort().getIntVal());
    }

    @Test
    void nothingInKnativeModeSendsPeriodicRequestsThroughTheServingPath() {
        for (Path overlay : overlays()) {
            List<Map<String, Object>> docs = render(overlay, "knative", Map.of("metrics.serviceMonitor.enabled", "true"));
            Service service = (Service) parseStrictly(one(docs, "serving.knative.dev/v1/Service"));
            assertEquals(String.valueOf(MANAGEMENT_PORT),
                    service.getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/port"));

            // Prometheus: a ServiceMonitor on the headless management Service, i.e. the pods' management port.
            Map<String, Object> monitor = one(docs, "monitoring.coreos.com/v1/ServiceMonitor");
            V1Service management = (V1Service) parseStrictly(named(docs, "v1/Service", RELEASE + "-management"));
            assertEquals("None", management.getSpec().getClusterIP());
            Map<String, Object> selector = map(path(monitor, "spec", "selector", "matchLabels"));
            selector.forEach((k, v) -> assertEquals(v, management.getMetadata().getLabels().get(k), k));
            assertFalse(selector.containsKey("serving.knative.dev/service"), "not Knative's Services");
            for (Map<String, Object> other : docs) {
                if (kindKey(other).equals("v1/Service") && other != named(docs, "v1/Service", RELEASE + "-management")) {
                    fail("another Service the monitor could select: " + path(other, "metadata", "name"));
                }
            }
            Map<String, Object> endpoint = map(((List<?>) path(monitor, "spec", "endpoints")).get(0));
            assertEquals("/q/metrics", endpoint.get("path"));
            var port = management.getSpec().getPorts().get(0);
            assertEquals(endpoint.get("port"), port.getName());
            assertEquals(MANAGEMENT_PORT, port.getTargetPort().getIntValue());
            assertEquals(service.getSpec().getTemplate().getMetadata().getLabels().get("app.kubernetes.io/component"),
                    management.getSpec().getSelector().get("app.kubernetes.io/component"), "selects the serving pods");

            // No scheduled caller: the chores run in their own pods, calling no URL.
            String internal = "http://" + RELEASE + "." + NAMESPACE + ".svc.cluster.local";
            for (Map<String, Object> doc : docs) {
                if (kindKey(doc).equals("v1/Pod")) {
                    continue; // the helm test, run on demand
                }
                String text = tree(doc).toString();
                assertFalse(text.contains(internal), kindKey(doc) + " calls the serving path");
                assertFalse(text.contains("curl"), kindKey(doc) + " runs curl");
            }
        }
    }

    @Test
    void choresRunInACronJobInBothModesWithTheDatabaseOnly() {
        for (Path overlay : overlays()) {
            for (String mode : List.of("deployment", "knative")) {
                List<Map<String, Object>> docs = render(overlay, mode);
                assertTrue(docs.stream().noneMatch(d -> kindKey(d).startsWith("sources.knative.dev/")), mode);
                V1Container serving = servingContainer(docs, mode);
                assertChoresCronJob(overlay, docs, serving.getImage());
            }
        }
        V1CronJob off = (V1CronJob) render(overlays().get(0), "deployment", Map.of("chores.enabled", "false")).stream()
                .filter(d -> kindKey(d).equals("batch/v1/CronJob")).map(ChartTest::parseStrictly).findFirst()
                .orElse(null);
        assertEquals(null, off);
    }

    @Test
    void theImageIsTheChartsAppVersionOrADigestAndEveryPodRunsTheSameOne() throws IOException {
        String appVersion = (String) load(CHART.resolve("Chart.yaml")).get("appVersion");
        String pom = Files.readString(Path.of("pom.xml"));
        Matcher version = Pattern.compile("<artifactId>atrium</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertTrue(version.find());
        assertEquals(version.group(1), appVersion, "Chart.yaml appVersion is the build's version");

        Path overlay = overlays().get(0);
        assertEquals(Set.of("atrium:" + appVersion), images(render(overlay, "deployment")));
        assertEquals(Set.of("atrium:" + appVersion + "-native"),
                images(render(overlay, "knative", Map.of("image.flavor", "native"))));
        String digest = "sha256:" + "ab".repeat(32);
        assertEquals(Set.of("registry.example/atrium:" + appVersion + "@" + digest), images(render(overlay, "deployment",
                Map.of("image.repository", "registry.example/atrium", "image.digest", digest))));
        assertEquals(Set.of("atrium:1.2.3"), images(render(overlay, "knative", Map.of("image.tag", "1.2.3"))));
        assertRejected(overlay, Map.of("image.digest", "sha256:abc"), "at '/image/digest'");
    }

    @Test
    void kubernetesModeNetworkPolicyAdmitsTheApiAndMonitoringOnly() {
        for (Path overlay : overlays()) {
            V1NetworkPolicy policy = servingPolicy(render(overlay, "deployment"));
            Map<Integer, Set<String>> ingress = ingressByPort(policy);
            assertEquals(Set.of(8080, MANAGEMENT_PORT), ingress.keySet());
            assertEquals(Set.of("pods:" + RELEASE, "namespace:ingress-nginx"), ingress.get(8080));
            assertEquals(Set.of("pods:" + RELEASE, "namespace:monitoring"), ingress.get(MANAGEMENT_PORT));
        }
    }

    @Test
    void knativeModeNetworkPolicyAdmitsWhatKnativeSends() {
        for (Path overlay : overlays()) {
            V1NetworkPolicy policy = servingPolicy(render(overlay, "knative"));
            Map<Integer, Set<String>> ingress = ingressByPort(policy);
            // The activator and the gateway reach queue-proxy on 8012 (http) and 8013 (h2c); the autoscaler scrapes
            // queue-proxy's statistics on 9090; the application's own 8080 is reached only from inside the pod.
            assertEquals(Set.of(8012, 8013, 9090, MANAGEMENT_PORT), ingress.keySet());
            assertEquals(Set.of("namespace:knative-serving", "namespace:kourier-system"), ingress.get(8012));
            assertEquals(Set.of("namespace:knative-serving", "namespace:kourier-system"), ingress.get(8013));
            assertEquals(Set.of("namespace:knative-serving"), ingress.get(9090));
            assertEquals(Set.of("pods:" + RELEASE, "namespace:monitoring"), ingress.get(MANAGEMENT_PORT));
        }
        V1NetworkPolicy istio = servingPolicy(render(overlays().get(0), "knative",
                Map.of("knative.gatewayNamespace", "istio-system")));
        assertEquals(Set.of("namespace:knative-serving", "namespace:istio-system"), ingressByPort(istio).get(8012));
    }

    @Test
    void egressNamesTheCellsOwnDatabaseItsPeersAndTheDataplane() {
        for (Path overlay : overlays()) {
            Map<String, Object> values = load(overlay);
            Set<String> database = Set.copyOf(strings(path(values, "networkPolicy", "egress", "database", "cidrs")));
            Set<String> peers = Set.copyOf(strings(path(values, "networkPolicy", "egress", "peers", "cidrs")));
            Set<String> dataplane = Set.copyOf(strings(path(values, "networkPolicy", "egress", "dataplane", "cidrs")));
            assertEquals(map(path(values, "cell", "peers")).size(), peers.size(), overlay + ": an address per peer");
            assertFalse(database.isEmpty() || dataplane.isEmpty(), overlay.toString());
            for (String mode : List.of("deployment", "knative")) {
                List<Map<String, Object>> docs = render(overlay, mode);
                V1NetworkPolicy serving = servingPolicy(docs);
                assertEquals(List.of("Ingress", "Egress"), serving.getSpec().getPolicyTypes());
                assertEquals(Map.of("53/UDP", Set.of("*"), "53/TCP", Set.of("*"), "5432/TCP", database,
                        "443/TCP", union(peers, dataplane)), egressByPort(serving), overlay + " " + mode);

                V1NetworkPolicy jobs = (V1NetworkPolicy) parseStrictly(
                        named(docs, "networking.k8s.io/v1/NetworkPolicy", RELEASE + "-jobs"));
                assertEquals(List.of(), jobs.getSpec().getIngress(), "nothing connects to the jobs' pods");
                assertEquals(Map.of("53/UDP", Set.of("*"), "53/TCP", Set.of("*"), "5432/TCP", database,
                        "443/TCP", dataplane), egressByPort(jobs), overlay + " " + mode);
                assertEquals(List.of("chores", "migration"),
                        jobs.getSpec().getPodSelector().getMatchExpressions().get(0).getValues());
            }
        }
        Path overlay = overlays().get(0);
        assertRefusedYaml(overlay, "networkPolicy: {egress: {database: {cidrs: []}}}",
                "networkPolicy.egress.database.cidrs");
        assertRefusedYaml(overlay, "networkPolicy: {egress: {peers: {cidrs: []}}}", "networkPolicy.egress.peers.cidrs");
        assertRefusedYaml(overlay, "networkPolicy: {egress: {dataplane: {cidrs: []}}}",
                "networkPolicy.egress.dataplane.cidrs");
        assertRefused(overlay, Map.of("jwt.keySource", "jwksUrl"), "networkPolicy.egress.jwks.cidrs");
        V1NetworkPolicy open = servingPolicy(render(overlay, "deployment", Map.of("networkPolicy.egress.restrict", "false")));
        assertEquals(List.of("Ingress"), open.getSpec().getPolicyTypes());
    }

    @Test
    void poolSizeAndReplicaCeilingAreOneConnectionBudget() {
        for (Path overlay : overlays()) {
            for (String mode : List.of("deployment", "knative")) {
                List<Map<String, Object>> docs = render(overlay, mode);
                int pool = Integer.parseInt(env(servingContainer(docs, mode), "ATRIUM_DB_POOL_SIZE").getValue());
                int pods = mode.equals("knative") ? 2 * 5 : 8 + 1;
                V1CronJob cron = (V1CronJob) parseStrictly(one(docs, "batch/v1/CronJob"));
                int chores = Integer.parseInt(env(cron.getSpec().getJobTemplate().getSpec().getTemplate().getSpec()
                        .getContainers().get(0), "ATRIUM_DB_POOL_SIZE").getValue());
                assertTrue(pods * pool + chores + 2 <= 90, overlay + " " + mode + ": within PostgreSQL's default 100");
            }
        }
        Path overlay = overlays().get(0);
        assertRefused(overlay, Map.of("database.poolSize", "20"),
                "database connections: 9 pods x poolSize 20 + choresPoolSize 2 + 2 (migration) = 184 exceeds");
        assertRefused(overlay, Map.of("mode", "knative", "knative.maxScale", "10"),
                "database connections: 20 pods x poolSize 8");
        assertRefused(overlay, Map.of("autoscaling.enabled", "false", "replicaCount", "11"), "12 pods x poolSize 8");
        render(overlay, "deployment", Map.of("database.poolSize", "20", "database.maxConnections", "400"));
        assertRejected(overlay, Map.of("knative.maxScale", "0"), "at '/knative/maxScale'");
        assertRejected(overlay, Map.of("database.poolSize", "0"), "at '/database/poolSize'");
    }

    @Test
    void memoryRequestEqualsLimitAndTheHeapLeavesRoomForTheRest() {
        for (String flavor : List.of("jvm", "native")) {
            for (String mode : List.of("deployment", "knative")) {
                List<Map<String, Object>> docs = render(overlays().get(0), mode, Map.of("image.flavor", flavor));
                List<V1Container> containers = new ArrayList<>(List.of(servingContainer(docs, mode)));
                containers.add(((V1Job) parseStrictly(one(docs, "batch/v1/Job"))).getSpec().getTemplate().getSpec()
                        .getContainers().get(0));
                containers.add(((V1CronJob) parseStrictly(one(docs, "batch/v1/CronJob"))).getSpec().getJobTemplate()
                        .getSpec().getTemplate().getSpec().getContainers().get(0));
                for (V1Container c : containers) {
                    assertEquals(c.getResources().getRequests().get("memory"), c.getResources().getLimits().get("memory"),
                            c.getName());
                    assertEquals("320Mi", c.getResources().getLimits().get("memory").toSuffixedString());
                    if (flavor.equals("jvm")) {
                        assertEquals("35", env(c, "JAVA_MAX_MEM_RATIO").getValue(), c.getName());
                        assertEquals(null, c.getArgs() == null ? null : c.getArgs().stream()
                                .filter(a -> a.startsWith("-Xmx")).findFirst().orElse(null));
                    } else {
                        assertEquals("-Xmx128m", c.getArgs().get(0), c.getName());
                        assertTrue(c.getEnv().stream().noneMatch(e -> e.getName().startsWith("JAVA_")));
                    }
                }
            }
        }
        assertRejected(overlays().get(0), Map.of("resources.memory", "lots"), "at '/resources/memory'");
        assertRejected(overlays().get(0), Map.of("resources.requests.memory", "256Mi"),
                "additional properties 'requests' not allowed");
    }

    @Test
    void schedulingTakesAffinityTolerationsAndSpreadInBothModes() {
        Map<String, Object> sets = new LinkedHashMap<>();
        sets.put("tolerations[0].key", "dedicated");
        sets.put("tolerations[0].operator", "Equal");
        sets.put("tolerations[0].value", "atrium");
        sets.put("tolerations[0].effect", "NoSchedule");
        sets.put("affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                + ".matchExpressions[0].key", "kubernetes.io/arch");
        sets.put("affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                + ".matchExpressions[0].operator", "In");
        sets.put("affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                + ".matchExpressions[0].values[0]", "amd64");
        sets.put("topologySpreadConstraints[0].maxSkew", "2");
        sets.put("topologySpreadConstraints[0].topologyKey", "kubernetes.io/hostname");
        sets.put("topologySpreadConstraints[0].whenUnsatisfiable", "DoNotSchedule");
        for (String mode : List.of("deployment", "knative")) {
            List<Map<String, Object>> docs = render(overlays().get(0), mode, sets);
            docs.stream().filter(d -> !kindKey(d).startsWith("monitoring.coreos.com/")).forEach(ChartTest::parseStrictly);
            V1PodSpec pod = servingPod(docs, mode);
            assertEquals("dedicated", pod.getTolerations().get(0).getKey(), mode);
            assertEquals("kubernetes.io/arch", pod.getAffinity().getNodeAffinity()
                    .getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms().get(0)
                    .getMatchExpressions().get(0).getKey());
            assertEquals(List.of("kubernetes.io/hostname"), pod.getTopologySpreadConstraints().stream()
                    .map(t -> t.getTopologyKey()).toList(), "set constraints replace the default zone spread");
            V1PodSpec chores = ((V1CronJob) parseStrictly(one(docs, "batch/v1/CronJob"))).getSpec().getJobTemplate()
                    .getSpec().getTemplate().getSpec();
            assertEquals("dedicated", chores.getTolerations().get(0).getKey(), "the jobs go where the pods go");
        }
        assertRejected(overlays().get(0), Map.of("tolerations[0].keyy", "x"), "invalid propertyName 'keyy'");
        assertRejected(overlays().get(0), Map.of("affinity.nodeAffinityy.x", "y"), "invalid propertyName 'nodeAffinityy'");
    }

    @Test
    void serviceMonitorToggleAndNativeFlavorAndJwksUrl() {
        Path overlay = overlays().get(0);
        Map<String, Object> sets = new LinkedHashMap<>();
        sets.put("metrics.serviceMonitor.enabled", "true");
        sets.put("metrics.podAnnotations", "false");
        sets.put("image.flavor", "native");
        sets.put("jwt.keySource", "jwksUrl");
        sets.put("networkPolicy.egress.jwks.cidrs[0]", "192.0.2.99/32");
        List<Map<String, Object>> docs = render(overlay, "deployment", sets);
        docs.stream().filter(d -> !kindKey(d).startsWith("monitoring.coreos.com/")).forEach(ChartTest::parseStrictly);
        Map<String, Object> endpoint = map(((List<?>) path(one(docs, "monitoring.coreos.com/v1/ServiceMonitor"), "spec",
                "endpoints")).get(0));
        assertEquals("management", endpoint.get("port"));

        V1Deployment deployment = (V1Deployment) parseStrictly(one(docs, "apps/v1/Deployment"));
        V1Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals(1001L, container.getSecurityContext().getRunAsUser());
        assertTrue(container.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/work/config")));
        assertEquals("jwks-url", env(container, "ATRIUM_JWT_PUBLIC_KEY_LOCATION").getValueFrom().getSecretKeyRef().getKey());
        assertTrue(container.getVolumeMounts().stream().noneMatch(m -> m.getName().equals("jwt")));
        assertFalse(deployment.getSpec().getTemplate().getMetadata().getAnnotations().containsKey("prometheus.io/scrape"));
        assertTrue(egressByPort(servingPolicy(docs)).get("443/TCP").contains("192.0.2.99/32"));
    }

    @Test
    void schemaRejectsBadValues() {
        Path overlay = overlays().get(0);
        assertRejected(overlay, Map.of("mode", "serverless"), "at '/mode': value must be one of");
        assertRejected(overlay, Map.of("cell.region", "EU_West_1"), "at '/cell/region': 'EU_West_1' does not match");
        assertRejected(overlay, Map.of("cell.region", "-eu-west-1"), "at '/cell/region'");
        assertRejected(overlay, Map.of("cell.region", "a".repeat(33)), "at '/cell/region'");
        assertRejected(overlay, Map.of("cell.directoryRegion", ""), "at '/cell/directoryRegion'");
        assertRejected(overlay, Map.of("cell.peers.Bad_Region", "https://x.atrium.example"), "invalid propertyName 'Bad_Region'");
        assertRejected(overlay, Map.of("cell.baseUrl", "eu-west-1.atrium.example"), "at '/cell/baseUrl'");
        assertRejected(overlay, Map.of("cell.peers.us-east-1", "http://us-east-1.atrium.example"),
                "at '/cell/peers/us-east-1'");
        assertRejected(overlay, Map.of("replicas", "3"), "additional properties 'replicas' not allowed");
        assertRejected(overlay, Map.of("database.password", "hunter2"), "additional properties 'password' not allowed");
        assertRejected(overlay, Map.of("image.flavor", "graal"), "at '/image/flavor'");
        assertRejected(overlay, Map.of("migration.backoffLimit", "2"), "at '/migration/backoffLimit'");
        assertRejected(overlay, Map.of("migration.activeDeadlineSeconds", "300"), "at '/migration/activeDeadlineSeconds'");
        assertRejected(overlay, Map.of("backgroundWork.enabled", "true"), "additional properties 'backgroundWork'");
        // Not expressible in the schema, refused by the chart itself.
        assertRefused(overlay, Map.of("cell.peers." + regionOf(overlay), "https://self.atrium.example"),
                "cell.peers must not list the cell's own region");
        assertRefused(overlay, Map.of("cell.directoryRegion", "sa-east-1"), "cell.directoryRegion sa-east-1 is neither");
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

    /** The serving container of either mode: this cell's env, its serving secrets, its mounts, its security. */
    private static void assertServingContainer(Path overlay, V1Container container) {
        assertCellEnv(overlay, container);
        assertDatabase(container, (String) path(load(overlay), "database", "secretName"), "8");
        assertEquals("false", env(container, "ATRIUM_MIGRATE_AT_START").getValue());
        assertEquals(String.valueOf(MANAGEMENT_PORT), env(container, "QUARKUS_MANAGEMENT_PORT").getValue());
        for (String name : List.of("ATRIUM_API_KEY_PEPPER", "ATRIUM_IDEMPOTENCY_ENCRYPTION_KEY")) {
            assertEquals(null, env(container, name).getValue(), name + " must be a Secret reference");
            assertEquals("atrium-" + regionOf(overlay) + "-app", env(container, name).getValueFrom().getSecretKeyRef()
                    .getName());
        }
        assertEquals("/etc/atrium/jwt/public.pem", env(container, "ATRIUM_JWT_PUBLIC_KEY_LOCATION").getValue());
        assertTrue(container.getVolumeMounts().stream()
                .anyMatch(m -> m.getMountPath().equals("/etc/atrium/jwt") && Boolean.TRUE.equals(m.getReadOnly())));
        assertTrue(container.getVolumeMounts().stream()
                .anyMatch(m -> m.getName().equals("cell-config") && m.getMountPath().endsWith("/config")));
    }

    /** The migration Job: exactly the serving image, as the schema's owner, with the database and nothing else. */
    private static void assertMigrationJob(Path overlay, List<Map<String, Object>> docs, String image) {
        V1Job job = (V1Job) parseStrictly(one(docs, "batch/v1/Job"));
        Map<String, String> annotations = job.getMetadata().getAnnotations();
        assertEquals("pre-install,pre-upgrade,pre-rollback", annotations.get(HOOK));
        assertEquals("before-hook-creation,hook-succeeded", annotations.get(HOOK + "-delete-policy"));
        assertTrue(job.getSpec().getActiveDeadlineSeconds() < HELM_DEFAULT_TIMEOUT_SECONDS,
                "the Job gives up before helm does");
        assertTrue(job.getSpec().getBackoffLimit() <= 1);
        V1PodSpec pod = job.getSpec().getTemplate().getSpec();
        assertEquals("Never", pod.getRestartPolicy());
        V1Container container = pod.getContainers().get(0);
        assertEquals(image, container.getImage(), "the migration runs exactly the serving image");
        assertEquals(image, container.getImage());
        assertDatabase(container, (String) path(load(overlay), "database", "ownerSecretName"), "1");
        assertEquals("migrate", container.getArgs().get(container.getArgs().size() - 1), "the migrate command");
        assertNoServingSecrets(container, pod);
        assertSecureContainer(container);
    }

    /** The chores CronJob: the serving image in chores mode, the serving database role, nothing else secret. */
    private static void assertChoresCronJob(Path overlay, List<Map<String, Object>> docs, String image) {
        V1CronJob cron = (V1CronJob) parseStrictly(named(docs, "batch/v1/CronJob", RELEASE + "-chores"));
        assertEquals("Forbid", cron.getSpec().getConcurrencyPolicy());
        assertEquals("*/5 * * * *", cron.getSpec().getSchedule());
        assertTrue(cron.getSpec().getJobTemplate().getSpec().getActiveDeadlineSeconds() < 300,
                "a round ends before the next is due");
        V1PodSpec pod = cron.getSpec().getJobTemplate().getSpec().getTemplate().getSpec();
        assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken());
        V1Container container = pod.getContainers().get(0);
        assertEquals(image, container.getImage(), "the chores run exactly the serving image");
        assertEquals("chores", container.getArgs().get(container.getArgs().size() - 1));
        assertTrue(container.getCommand() == null || container.getCommand().isEmpty(), "the image's own entrypoint");
        assertCellEnv(overlay, container);
        assertDatabase(container, (String) path(load(overlay), "database", "secretName"), "2");
        assertNoServingSecrets(container, pod);
        assertTrue(container.getVolumeMounts().stream()
                .anyMatch(m -> m.getName().equals("cell-config") && m.getMountPath().endsWith("/config")));
        assertSecureContainer(container);
    }

    private static void assertNoServingSecrets(V1Container container, V1PodSpec pod) {
        Set<String> names = container.getEnv().stream().map(V1EnvVar::getName).collect(Collectors.toSet());
        for (String name : List.of("ATRIUM_API_KEY_PEPPER", "ATRIUM_IDEMPOTENCY_ENCRYPTION_KEY",
                "ATRIUM_JWT_PUBLIC_KEY_LOCATION", "ATRIUM_SERVICE_CLIENTS")) {
            assertFalse(names.contains(name), container.getName() + " gets " + name);
        }
        assertTrue(pod.getVolumes().stream().noneMatch(v -> v.getSecret() != null), container.getName()
                + " mounts a Secret");
    }

    /** Every database value is a reference to {@code secret}; the pool has {@code pool} connections. */
    private static void assertDatabase(V1Container container, String secret, String pool) {
        for (String name : List.of("ATRIUM_DB_REACTIVE_URL", "ATRIUM_DB_JDBC_URL", "ATRIUM_DB_USER", "ATRIUM_DB_PASSWORD")) {
            V1EnvVar var = env(container, name);
            assertEquals(null, var.getValue(), name + " must be a Secret reference");
            assertEquals(secret, var.getValueFrom().getSecretKeyRef().getName(), container.getName() + " " + name);
        }
        assertEquals(pool, env(container, "ATRIUM_DB_POOL_SIZE").getValue(), container.getName());
    }

    /** The overlay's region, base URL and peers reach the container. */
    private static void assertCellEnv(Path overlay, V1Container container) {
        Map<String, Object> values = load(overlay);
        String region = regionOf(overlay);
        assertEquals(region, env(container, "ATRIUM_CELL_REGION").getValue(), overlay.toString());
        assertEquals(path(values, "cell", "baseUrl"), env(container, "ATRIUM_CELL_BASE_URL").getValue());
        Map<String, String> peers = new LinkedHashMap<>();
        for (String pair : env(container, "ATRIUM_CELL_PEER_LIST").getValue().split(",")) {
            String[] kv = pair.split("=", 2);
            peers.put(kv[0], kv[1]);
        }
        assertEquals(map(path(values, "cell", "peers")), peers, overlay.toString());
        assertSecureContainer(container);
    }

    private static void assertSecureContainer(V1Container container) {
        assertTrue(container.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/tmp")));
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
        Map<String, Object> values = load(overlay);
        assertTrue(properties.contains("atrium.cell.region=" + regionOf(overlay) + "\n"), properties);
        for (String peer : map(path(values, "cell", "peers")).keySet()) {
            assertTrue(properties.contains("atrium.cell.peers." + peer + "=https://"), properties);
        }
        assertTrue(properties.contains("atrium.cell.directory-region=" + path(values, "cell", "directoryRegion") + "\n"),
                properties);
        assertTrue(properties.contains("atrium.provisioning.dataplane.url="
                + path(values, "provisioning", "dataplaneUrl") + "\n"), properties);
        assertTrue(properties.contains("atrium.plans.team.max-members=100\n"), properties);
    }

    /** helm test: the public API through the in-cluster address, then readiness on the management Service. */
    private static void assertTestPod(List<Map<String, Object>> docs, String publicUrlEnd) {
        V1Pod pod = (V1Pod) parseStrictly(one(docs, "v1/Pod"));
        assertEquals("test", pod.getMetadata().getAnnotations().get(HOOK));
        String script = String.join(" ", pod.getSpec().getContainers().get(0).getCommand());
        assertTrue(script.contains(publicUrlEnd), script);
        assertTrue(script.contains("http://" + RELEASE + "-management." + NAMESPACE + ".svc.cluster.local:"
                + MANAGEMENT_PORT + "/q/health/ready"), script);
    }

    private static V1Container servingContainer(List<Map<String, Object>> docs, String mode) {
        return servingPod(docs, mode).getContainers().get(0);
    }

    private static V1PodSpec servingPod(List<Map<String, Object>> docs, String mode) {
        if (mode.equals("knative")) {
            // The revision spec is a pod spec plus Knative's own fields.
            Map<String, Object> spec = deepCopy(map(path(one(docs, "serving.knative.dev/v1/Service"), "spec",
                    "template", "spec")));
            spec.keySet().removeAll(Set.of("containerConcurrency", "timeoutSeconds"));
            return asCore(spec, V1PodSpec.class);
        }
        return ((V1Deployment) parseStrictly(one(docs, "apps/v1/Deployment"))).getSpec().getTemplate().getSpec();
    }

    /** Every image of every pod the release runs. */
    private static Set<String> images(List<Map<String, Object>> docs) {
        Set<String> images = new TreeSet<>();
        collectImages(tree(docs), images);
        return images.stream().filter(i -> !i.startsWith("curlimages/")).collect(Collectors.toCollection(TreeSet::new));
    }

    private static void collectImages(JsonNode node, Set<String> out) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> {
                if (e.getKey().equals("image") && e.getValue().isTextual()) {
                    out.add(e.getValue().asText());
                } else {
                    collectImages(e.getValue(), out);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collectImages(n, out));
        }
    }

    private static V1NetworkPolicy servingPolicy(List<Map<String, Object>> docs) {
        return (V1NetworkPolicy) parseStrictly(named(docs, "networking.k8s.io/v1/NetworkPolicy", RELEASE));
    }

    /** Each admitted port and who may reach it: {@code pods:<release>} or {@code namespace:<name>}. */
    private static Map<Integer, Set<String>> ingressByPort(V1NetworkPolicy policy) {
        Map<Integer, Set<String>> out = new TreeMap<>();
        for (var rule : policy.getSpec().getIngress()) {
            assertNotNull(rule.getFrom(), "an ingress rule open to everyone");
            Set<String> peers = new TreeSet<>();
            for (var from : rule.getFrom()) {
                if (from.getPodSelector() != null) {
                    assertEquals(null, from.getNamespaceSelector());
                    peers.add("pods:" + from.getPodSelector().getMatchLabels().get("app.kubernetes.io/instance"));
                } else {
                    peers.add("namespace:" + from.getNamespaceSelector().getMatchLabels()
                            .get("kubernetes.io/metadata.name"));
                }
            }
            for (var port : rule.getPorts()) {
                out.computeIfAbsent(port.getPort().getIntValue(), k -> new TreeSet<>()).addAll(peers);
            }
        }
        return out;
    }

    /** Each allowed egress port/protocol and its destinations ({@code *}: any). */
    private static Map<String, Set<String>> egressByPort(V1NetworkPolicy policy) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (var rule : policy.getSpec().getEgress()) {
            Set<String> to = rule.getTo() == null || rule.getTo().isEmpty() ? Set.of("*")
                    : rule.getTo().stream().map(p -> p.getIpBlock().getCidr()).collect(Collectors.toSet());
            for (var port : rule.getPorts()) {
                out.computeIfAbsent(port.getPort().getIntValue() + "/" + port.getProtocol(), k -> new TreeSet<>())
                        .addAll(to);
            }
        }
        return out;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object value) {
        return (List<String>) value;
    }

    private static Map<String, Object> named(List<Map<String, Object>> docs, String kind, String name) {
        List<Map<String, Object>> found = docs.stream()
                .filter(d -> kindKey(d).equals(kind) && name.equals(path(d, "metadata", "name"))).toList();
        assertEquals(1, found.size(), () -> "expected one " + kind + " " + name);
        return found.get(0);
    }

    /** As {@link #assertRefused}, with values given as YAML on top of the overlay (for what --set cannot say). */
    private static void assertRefusedYaml(Path overlay, String yaml, String why) {
        try {
            Path extra = Files.createTempFile(visibleHooks.getParent(), "values-", ".yaml");
            Files.writeString(extra, yaml);
            RuntimeException e = assertThrows(RuntimeException.class, () -> new Helm(CHART).template()
                    .withName(RELEASE).withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION)
                    .withValuesFile(overlay).withValuesFile(extra).call(), () -> "accepted " + yaml);
            assertTrue(e.getMessage().contains(why), e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The chart itself (not the schema) refuses the values, with {@code why} in its message. */
    private static void assertRefused(Path overlay, Map<String, Object> sets, String why) {
        RuntimeException e = assertThrows(RuntimeException.class, () -> template(CHART, overlay, sets),
                () -> "accepted " + sets);
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    private static void assertRejected(Path overlay, Map<String, Object> sets, String why) {
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> template(CHART, overlay, sets), () -> "accepted " + sets);
        assertTrue(e.getMessage().contains("values don't meet the specifications of the schema"), e.getMessage());
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    @Test
    void theDashboardAndTheAlertsAreOffByDefault() {
        for (Path overlay : overlays()) {
            List<Map<String, Object>> docs = render(overlay, "deployment");
            assertTrue(docs.stream().noneMatch(d -> kindKey(d).equals("monitoring.coreos.com/v1/PrometheusRule")));
            assertTrue(docs.stream().noneMatch(d -> kindKey(d).equals("v1/ConfigMap")
                    && String.valueOf(path(d, "metadata", "name")).endsWith("-dashboard")));
        }
    }

    @Test
    void theDashboardIsValidJsonWithOneRowPerConcernAndAQueryInEveryPanel() throws IOException {
        List<Map<String, Object>> docs = Monitoring.render(Map.of());
        V1ConfigMap configMap = (V1ConfigMap) parseStrictly(Monitoring.kind(docs, "v1", "ConfigMap",
                "atrium-dashboard"));
        assertEquals("1", configMap.getMetadata().getLabels().get("grafana_dashboard"), "found by Grafana's sidecar");
        JsonNode dashboard = Monitoring.dashboard(docs);
        assertEquals(JSON.readTree(CHART.resolve("dashboards/atrium-cell.json").toFile()), dashboard,
                "the ConfigMap carries the dashboard file as it is");
        List<String> rows = new ArrayList<>();
        int queries = 0;
        for (JsonNode panel : dashboard.get("panels")) {
            if (panel.get("type").asText().equals("row")) {
                rows.add(panel.get("title").asText());
                continue;
            }
            assertTrue(panel.get("targets").size() > 0, panel.get("title").asText());
            for (JsonNode target : panel.get("targets")) {
                assertFalse(target.get("expr").asText().isBlank(), panel.get("title").asText());
                assertFalse(Monitoring.metricNames(target.get("expr").asText()).isEmpty(), target.toString());
                queries++;
            }
        }
        assertEquals(List.of("Requests (public API)", "Provisioning", "Database pool", "Peer cells", "Event feed",
                "Usage counting", "Process"), rows);
        assertTrue(queries >= 20, "queries: " + queries);
    }

    @Test
    void theAlertsCoverBothObjectivesAndWhatAnOperatorMustFix() {
        List<Map<String, Object>> alerts = Monitoring.alerts(Monitoring.render(Map.of(
                "metrics.prometheusRule.latency.thresholdSeconds", "0.25")));
        Map<String, Map<String, Object>> byName = new TreeMap<>();
        alerts.forEach(a -> byName.put(String.valueOf(a.get("alert")), a));
        assertEquals(Set.of("AtriumAvailabilityBudgetBurnFast", "AtriumAvailabilityBudgetBurnSlow",
                "AtriumLatencyBudgetBurnFast", "AtriumLatencyBudgetBurnSlow", "AtriumProvisioningRunStuck",
                "AtriumPeerCircuitOpen", "AtriumUsageFlushFailing", "AtriumEventFeedLagging"), byName.keySet());
        for (Map<String, Object> alert : alerts) {
            String expr = String.valueOf(alert.get("expr"));
            assertTrue(expr.contains("namespace=\"" + Monitoring.NAMESPACE + "\""), "this cell only: " + expr);
            assertTrue(Set.of("critical", "warning").contains(path(alert, "labels", "severity")), expr);
            assertTrue(String.valueOf(path(alert, "annotations", "summary")).contains("us-east-1"), expr);
            assertEquals(count(expr, '('), count(expr, ')'), expr);
            assertEquals(count(expr, '{'), count(expr, '}'), expr);
        }
        // A fast burn of a 99.9 % objective: 14.4 times the 0.1 % budget, over an hour and five minutes.
        String fast = String.valueOf(byName.get("AtriumAvailabilityBudgetBurnFast").get("expr"));
        assertTrue(fast.contains("[1h]") && fast.contains("[5m]") && fast.contains("status=~\"5..\""), fast);
        assertTrue(Pattern.compile("> 0\\.0144\\d*\\s").matcher(fast + "\n").find(), fast);
        String latency = String.valueOf(byName.get("AtriumLatencyBudgetBurnSlow").get("expr"));
        assertTrue(latency.contains("le=\"0.25\"") && latency.contains("method=\"GET\"")
                && latency.contains("[6h]") && latency.contains("[30m]"), latency);
        assertEquals("critical", path(byName.get("AtriumLatencyBudgetBurnFast"), "labels", "severity"));
        assertEquals(Set.of("atrium_cell_peer_breaker"),
                Monitoring.metricNames(String.valueOf(byName.get("AtriumPeerCircuitOpen").get("expr"))));
    }

    @Test
    void promqlMetricNamesAreReadWithoutFunctionsLabelsOrVariables() {
        String promql = "histogram_quantile(0.99, sum by (le, uri) (rate(foo_bucket{uri=~\"/v1/.+\", a=\"b\"}"
                + "[$__rate_interval]))) / on(namespace) group_left(x) bar_total{namespace=~\"$namespace\"}"
                + " > 1e3 and bool 2";
        assertEquals(Set.of("foo_bucket", "bar_total"), Monitoring.metricNames(promql));
        assertEquals(List.of(new Monitoring.Selector("foo_bucket", Map.of("uri", "/v1/.+", "a", "b")),
                new Monitoring.Selector("bar_total", Map.of("namespace", "$namespace"))), Monitoring.selectors(promql));
        assertEquals(Set.of("le", "uri"), Monitoring.groupingLabels(promql));
    }

    @Test
    void tracingSettingsReachTheCellAndTheCollectorMustBeNamed() {
        Path overlay = overlays().get(0);
        String off = configuration(render(overlay, "deployment"));
        assertFalse(off.contains("otlp-endpoint"), "no endpoint, no export: " + off);
        Map<String, Object> on = Map.of("tracing.otlpEndpoint", "http://otel-collector.observability:4317",
                "networkPolicy.egress.collector.cidrs[0]", "10.20.0.0/16");
        List<Map<String, Object>> docs = render(overlay, "deployment", on);
        String configuration = configuration(docs);
        assertTrue(configuration.contains("atrium.tracing.otlp-endpoint=http://otel-collector.observability:4317\n"),
                configuration);
        assertTrue(configuration.contains("atrium.tracing.sample-ratio=1\n"), configuration);
        assertTrue(configuration.contains("quarkus.otel.exporter.otlp.traces.protocol=grpc\n"), configuration);
        for (Map<String, Object> doc : docs) {
            if (kindKey(doc).equals("networking.k8s.io/v1/NetworkPolicy")) {
                V1NetworkPolicy policy = (V1NetworkPolicy) parseStrictly(doc);
                assertTrue(policy.getSpec().getEgress().stream().anyMatch(rule -> rule.getTo() != null
                        && rule.getTo().stream().anyMatch(to -> "10.20.0.0/16".equals(to.getIpBlock().getCidr()))
                        && rule.getPorts().get(0).getPort().getIntValue() == 4317),
                        policy.getMetadata().getName() + " reaches the collector");
            }
        }
        assertRefused(overlay, Map.of("tracing.otlpEndpoint", "http://otel-collector.observability:4317"),
                "networkPolicy.egress.collector.cidrs");
        assertRefusedYaml(overlay, "tracing:\n  sampleRatio: 2\n", "at '/tracing/sampleRatio'");
        assertRejected(overlay, Map.of("metrics.prometheusRule.latency.thresholdSeconds", "0.3"),
                "at '/metrics/prometheusRule/latency/thresholdSeconds'");
    }

    private static String configuration(List<Map<String, Object>> docs) {
        for (Map<String, Object> doc : docs) {
            if (kindKey(doc).equals("v1/ConfigMap") && map(path(doc, "data")).containsKey("application.properties")) {
                return String.valueOf(map(path(doc, "data")).get("application.properties"));
            }
        }
        throw new AssertionError("no configuration ConfigMap");
    }

    private static long count(String text, char c) {
        return text.chars().filter(ch -> ch == c).count();
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
