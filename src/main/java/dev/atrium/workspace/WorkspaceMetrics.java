package dev.atrium.workspace;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * {@code atrium.workspaces} by status. Gauges are read synchronously, so the counts are refreshed in the
 * background and the gauge reads memory.
 */
@ApplicationScoped
public class WorkspaceMetrics {

    private final Map<String, AtomicLong> byStatus = new ConcurrentHashMap<>();

    public WorkspaceMetrics(MeterRegistry registry) {
        for (WorkspaceStatus status : WorkspaceStatus.values()) {
            AtomicLong value = new AtomicLong();
            byStatus.put(status.wire(), value);
            Gauge.builder("atrium.workspaces", value, AtomicLong::get)
                    .description("Workspaces in this cell by status")
                    .tag("status", status.wire())
                    .register(registry);
        }
    }

    @Scheduled(every = "${atrium.metrics.refresh-every:15s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> refresh() {
        return Panache.withSession(() -> Panache.getSession().chain(s -> s
                .createNativeQuery("select status, count(*) from workspaces group by status", Object[].class)
                .getResultList()))
                .invoke(rows -> {
                    byStatus.values().forEach(v -> v.set(0));
                    for (Object[] row : rows) {
                        AtomicLong v = byStatus.get((String) row[0]);
                        if (v != null) {
                            v.set(((Number) row[1]).longValue());
                        }
                    }
                })
                .replaceWithVoid();
    }
}
