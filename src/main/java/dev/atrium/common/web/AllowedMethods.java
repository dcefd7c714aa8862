package dev.atrium.common.web;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The methods a path answers, for the {@code Allow} header of a 405. Read from the OpenAPI document generated at
 * build time, so the answer is exactly the documented API and needs no reflection at run time.
 */
@ApplicationScoped
public class AllowedMethods {

    private static final Logger LOG = Logger.getLogger(AllowedMethods.class);
    private static final Set<String> HTTP = Set.of("get", "put", "post", "delete", "patch", "head", "options");

    private record Route(Pattern path, Set<String> methods) {
    }

    private final ObjectMapper json;
    private volatile List<Route> routes;

    public AllowedMethods(ObjectMapper json) {
        this.json = json;
    }

    public String allow(String path) {
        Set<String> out = new TreeSet<>();
        for (Route r : routes()) {
            if (r.path().matcher(path).matches()) {
                out.addAll(r.methods());
            }
        }
        return out.isEmpty() ? null : String.join(", ", out);
    }

    private List<Route> routes() {
        if (routes == null) {
            routes = load();
        }
        return routes;
    }

    private List<Route> load() {
        List<Route> out = new ArrayList<>();
        try (InputStream in = Thread.currentThread().getContextClassLoader()
                .getResourceAsStream("META-INF/quarkus-generated-openapi-doc.JSON")) {
            if (in == null) {
                return out;
            }
            JsonNode paths = json.readTree(in).path("paths");
            Iterator<Map.Entry<String, JsonNode>> it = paths.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                Set<String> methods = new TreeSet<>();
                e.getValue().fieldNames().forEachRemaining(m -> {
                    if (HTTP.contains(m)) {
                        methods.add(m.toUpperCase(Locale.ROOT));
                    }
                });
                if (methods.contains("GET")) {
                    methods.add("HEAD");
                }
                String regex = Pattern.quote(e.getKey()).replaceAll("\\{[^}/]+\\}", "\\\\E[^/]+\\\\Q");
                out.add(new Route(Pattern.compile(regex), methods));
            }
        } catch (IOException e) {
            LOG.warn("OpenAPI document unreadable; 405 responses will carry no Allow header", e);
        }
        return out;
    }
}
