package io.tidegate.stream;

import io.tidegate.kafka.KafkaClients;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a subscription's past from Kafka (not from memory), a chunk at a time, on a bounded worker pool.
 * Chunks are asked for one after the other, so the consumer is never used by two threads at once. A position
 * the log no longer holds (retention removed it while the reader was behind) is not skipped silently: the
 * reader moves to the log's start and reports the jump with the chunk.
 */
final class CatchUpReader {
  /** One read: the records, and the partitions whose position retention removed (requested, now at). */
  record Chunk(List<ConsumerRecord<byte[], byte[]>> records, List<Jump> jumps) {}

  record Jump(int partition, long requested, long offset) {}

  private final WorkerExecutor workers;
  private final KafkaClients clients;
  private final String topic;
  private final Map<Integer, Long> from;
  /** Built on the worker at the first read: Kafka's consumer constructor is too heavy for an event loop. */
  private Consumer<byte[], byte[]> consumer;
  private boolean closed;

  CatchUpReader(KafkaClients clients, WorkerExecutor workers, String topic, Map<Integer, Long> from) {
    this.workers = workers;
    this.clients = clients;
    this.topic = topic;
    this.from = Map.copyOf(from);
  }

  private void open() {
    consumer = clients.catchUpConsumers().take();
    List<TopicPartition> tps = new ArrayList<>();
    from.keySet().forEach(p -> tps.add(new TopicPartition(topic, p)));
    consumer.assign(tps);
    from.forEach((p, offset) -> consumer.seek(new TopicPartition(topic, p), offset));
  }

  /** The next records (possibly none, when the past is read up to Kafka's end). */
  Future<Chunk> next() {
    return workers.executeBlocking(() -> {
      synchronized (this) {
        if (closed) {
          return new Chunk(List.of(), List.of());
        }
        if (consumer == null) {
          open();
        }
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try {
          consumer.poll(Duration.ofMillis(100)).forEach(out::add);
          return new Chunk(out, List.of());
        } catch (OffsetOutOfRangeException e) {
          return new Chunk(List.of(), jump(e.offsetOutOfRangePartitions()));
        }
      }
    }, false);
  }

  /** Positions out of the log's range move to its start (or its end, for a position past it). */
  private List<Jump> jump(Map<TopicPartition, Long> lost) {
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(lost.keySet());
    Map<TopicPartition, Long> end = consumer.endOffsets(lost.keySet());
    List<Jump> jumps = new ArrayList<>();
    lost.forEach((tp, requested) -> {
      long to = requested < begin.get(tp) ? begin.get(tp) : end.get(tp);
      consumer.seek(tp, to);
      jumps.add(new Jump(tp.partition(), requested, to));
    });
    return jumps;
  }

  void close() {
    workers.executeBlocking(() -> {
      synchronized (this) {
        if (!closed) {
          closed = true;
          if (consumer != null) {
            clients.catchUpConsumers().give(consumer); // unassigned and kept for the next catch-up
          }
        }
      }
      return null;
    }, false);
  }
}
