package io.tidegate.ops;

import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Producer;

/**
 * The gateway's meter registry, scraped at /metrics in Prometheus' text format: Tidegate's own meters, the
 * JVM's, the producer's, and Vert.x's own (HTTP server, WebSockets, event-loop queues, worker pools) when the
 * Vert.x instance was made by {@link #newVertx} (or with {@link #instrument} and {@link #factory}).
 */
public final class Metrics implements AutoCloseable {
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /** Vert.x keeps its registries in a JVM-wide map by name: each gateway (tests run several) needs its own. */
  private final String name = "tidegate-" + INSTANCES.incrementAndGet();
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private KafkaClientMetrics producerMetrics;

  public Metrics() {
    Histograms.configure(registry); // before any meter: filters apply to meters registered after them
    // vertx-web names a request's route by every route it went through ("/topics/>/topics/:topic/records"):
    // the last is the one that answered
    registry.config().meterFilter(MeterFilter.replaceTagValues("route", r -> r.substring(r.lastIndexOf('>') + 1)));
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    gc.bindTo(registry);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * A Vert.x instance whose own meters go to this registry. Labels are bounded: method, status code and the
   * route's template ({@code /topics/:topic}), never the request's path or the client's address.
   */
  public Vertx newVertx(VertxOptions options) {
    return Vertx.builder().with(instrument(options)).withMetrics(factory()).build();
  }

  /** Sets the Vert.x metrics options on {@code options}; build the instance with {@link #factory()}. */
  public VertxOptions instrument(VertxOptions options) {
    return options.setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setRegistryName(name)
        .setLabels(EnumSet.of(Label.HTTP_METHOD, Label.HTTP_CODE, Label.HTTP_ROUTE, Label.POOL_TYPE, Label.POOL_NAME))
        // Netty's event-executor meters: tasks waiting on each event loop
        .setNettyMetricsEnabled(true)
        .setJvmMetricsEnabled(false)); // bound above, once
  }

  /** The factory that reports Vert.x's meters into this registry. */
  public VertxMetricsFactory factory() {
    return new MicrometerMetricsFactory(registry);
  }

  /** Exposes the producer's own metrics (record send rate, batch size, errors...). */
  public void bindProducer(Producer<?, ?> producer) {
    producerMetrics = new KafkaClientMetrics(producer);
    producerMetrics.bindTo(registry);
  }

  @Override
  public void close() {
    if (producerMetrics != null) {
      producerMetrics.close();
    }
    gc.close();
    registry.close();
  }
}
