package io.tidegate.testing;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes small JSON records to every partition of a topic in turn at a steady rate, with Kafka's own producer, and
 * knows how far each partition has been acknowledged. For tests and benchmarks that need records to keep flowing.
 */
public final class PacedProducer implements AutoCloseable {
  private final KafkaProducer<byte[], byte[]> producer;
  private final ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "paced-producer");
    t.setDaemon(true);
    return t;
  });
  private final AtomicLongArray acked;
  private final AtomicInteger failures = new AtomicInteger();
  private long sent;

  /** Starts writing {@code perSecond} records a second (sent in 10 ms ticks) round robin over the partitions. */
  public PacedProducer(String bootstrap, String topic, int partitions, int perSecond) {
    this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.ACKS_CONFIG, "all"),
        new ByteArraySerializer(), new ByteArraySerializer());
    this.acked = new AtomicLongArray(partitions);
    long startNanos = System.nanoTime();
    ticks.scheduleAtFixedRate(() -> {
      long due = (System.nanoTime() - startNanos) * perSecond / 1_000_000_000L;
      for (; sent < due; sent++) {
        int p = (int) (sent % partitions);
        byte[] value = ("{\"n\":" + sent + "}").getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(topic, p, null, value), (md, e) -> {
          if (e != null) {
            failures.incrementAndGet();
          } else {
            acked.accumulateAndGet(md.partition(), md.offset() + 1, Math::max);
          }
        });
      }
    }, 0, 10, TimeUnit.MILLISECONDS);
  }

  /** Per partition, the offset after the last record acknowledged so far. */
  public long[] ends() {
    long[] out = new long[acked.length()];
    for (int p = 0; p < out.length; p++) {
      out[p] = acked.get(p);
    }
    return out;
  }

  public long total() {
    long n = 0;
    for (long e : ends()) {
      n += e;
    }
    return n;
  }

  public int failures() {
    return failures.get();
  }

  /** Stops writing and waits for every record sent to be acknowledged; {@link #ends()} is then final. */
  public void stop() {
    ticks.shutdown();
    try {
      ticks.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.flush();
  }

  @Override
  public void close() {
    stop();
    producer.close();
  }
}
