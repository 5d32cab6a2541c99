package io.tidegate.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/** One webhook's meters on this gateway, tagged {@code webhook=<name>}. */
final class WebhookMeters {
  private final MeterRegistry registry;
  private final String name;
  final Counter delivered;
  final Counter retries;
  final Counter deadLettered;
  final Counter abandoned;
  final Timer latency;

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
  }

  /** One failed attempt, by the receiver's status ({@code timeout} or {@code error} when it gave none). */
  void failed(Outcome o) {
    Counter.builder("tidegate.webhook.failed").tag("webhook", name).tag("status", o.statusTag())
        .description("Attempts that did not get a 2xx").register(registry).increment();
  }

  /** Takes this webhook's meters out of the registry (it was deleted). */
  void remove() {
    for (String meter : new String[] {"delivered", "retries", "dead.lettered", "abandoned", "latency", "failed"}) {
      registry.find("tidegate.webhook." + meter).tag("webhook", name).meters().forEach(registry::remove);
    }
  }

  /** Failed attempts on this gateway, over every status. */
  double failedTotal() {
    return registry.find("tidegate.webhook.failed").tag("webhook", name).counters().stream()
        .mapToDouble(Counter::count).sum();
  }
}
