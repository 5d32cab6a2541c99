package io.tidegate.stream;

import io.tidegate.kafka.KafkaClients;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a subscription's past from Kafka (not from memory), a chunk at a time, on a bounded worker pool.
 * Chunks are asked for one after the other, so the consumer is never used by two threads at once.
 */
final class CatchUpReader {
  private final WorkerExecutor workers;
  private final KafkaClients clients;
  private final String topic;
  private final Map<Integer, Long> from;
  /** Built on the worker at the first read: Kafka's consumer constructor is too heavy for an event loop. */
  private KafkaConsumer<byte[], byte[]> consumer;
  private boolean closed;

  CatchUpReader(KafkaClients clients, WorkerExecutor workers, String topic, Map<Integer, Long> from) {
    this.workers = workers;
    this.clients = clients;
    this.topic = topic;
    this.from = Map.copyOf(from);
  }

  private void open() {
    consumer = clients.historyConsumer();
    List<TopicPartition> tps = new ArrayList<>();
    from.keySet().forEach(p -> tps.add(new TopicPartition(topic, p)));
    consumer.assign(tps);
    from.forEach((p, offset) -> consumer.seek(new TopicPartition(topic, p), offset));
  }

  /** The next records (possibly none, when the past is read up to Kafka's end). */
  Future<List<ConsumerRecord<byte[], byte[]>>> next() {
    return workers.executeBlocking(() -> {
      synchronized (this) {
        if (closed) {
          return List.of();
        }
        if (consumer == null) {
          open();
        }
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        consumer.poll(Duration.ofMillis(100)).forEach(out::add);
        return out;
      }
    }, false);
  }

  void close() {
    workers.executeBlocking(() -> {
      synchronized (this) {
        if (!closed) {
          closed = true;
          if (consumer != null) {
            consumer.close(Duration.ofSeconds(1));
          }
        }
      }
      return null;
    }, false);
  }
}
