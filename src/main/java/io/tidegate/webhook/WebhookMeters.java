package io.tidegate.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** One webhook's meters on this gateway, tagged {@code webhook=<name>}. */
final class WebhookMeters {
  private final MeterRegistry registry;
  private final String name;
  final Counter delivered;
  final Counter retries;
  final Counter deadLettered;
  final Counter abandoned;
  final Timer latency;
  final Counter redriven;
  /** Records between the group's committed offsets and its topics' ends, cluster-wide, as last refreshed. */
  final AtomicLong lag = new AtomicLong();
  /** The last failed attempt on this gateway ({@code at}, {@code status}, {@code error}), or null. */
  volatile JsonObject lastError;

  WebhookMeters(MeterRegistry registry, String name) {
    this.registry = registry;
    this.name = name;
    delivered = Counter.builder("tidegate.webhook.delivered").tag("webhook", name)
        .description("Records a receiver accepted (2xx)").register(registry);
    retries = Counter.builder("tidegate.webhook.retries").tag("webhook", name)
        .description("Attempts scheduled again after a failed one").register(registry);
    deadLettered = Counter.builder("tidegate.webhook.dead.lettered").tag("webhook", name)
        .description("Records sent to the dead-letter topic after maxAttempts").register(registry);
    abandoned = Counter.builder("tidegate.webhook.abandoned").tag("webhook", name)
        .description("Records not committed when their partition moved to another gateway (in flight, or delivered past one that was): they may arrive twice")
        .register(registry);
    latency = Timer.builder("tidegate.webhook.latency").tag("webhook", name)
        .description("From the record's timestamp to the receiver's 2xx").publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10)).register(registry);
    redriven = Counter.builder("tidegate.webhook.redriven").tag("webhook", name)
        .description("Dead letters a redrive delivered").register(registry);
    Gauge.builder("tidegate.webhook.lag", lag, AtomicLong::get).tag("webhook", name).strongReference(true)
        .description("Records not delivered yet: the topics' end offsets less the webhook group's committed offsets (the same on every gateway)")
        .register(registry);
  }

  /** One failed attempt, by the receiver's status ({@code timeout} or {@code error} when it gave none). */
  void failed(Outcome o) {
    Counter.builder("tidegate.webhook.failed").tag("webhook", name).tag("status", o.statusTag())
        .description("Attempts that did not get a 2xx").register(registry).increment();
    lastError = new JsonObject().put("at", Instant.now().toString()).put("status", o.status()).put("error", o.error());
  }

  /** Takes this webhook's meters out of the registry (it was deleted). */
  void remove() {
    for (String meter : new String[] {"delivered", "retries", "dead.lettered", "abandoned", "latency", "failed", "redriven", "lag"}) {
      registry.find("tidegate.webhook." + meter).tag("webhook", name).meters().forEach(registry::remove);
    }
  }

  /** Failed attempts on this gateway, over every status. */
  double failedTotal() {
    return registry.find("tidegate.webhook.failed").tag("webhook", name).counters().stream()
        .mapToDouble(Counter::count).sum();
  }
}
