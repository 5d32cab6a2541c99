package io.tidegate.publish;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tidegate.error.ApiError;
import io.tidegate.error.ErrorMapper;
import io.tidegate.codec.PublishRecord;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Publishes through the one shared producer, straight from the event loop.
 *
 * <p>The producer runs with {@code max.block.ms=0}, so {@code send} never waits: when it has no metadata for
 * the topic yet it fails at once (synchronously, through the callback), and this class retries the rest of
 * the batch on a timer, in order, until the publish timeout. A full producer buffer fails at once too and
 * becomes a 503. Acknowledgements come back on Kafka's I/O thread and are handed to the caller's context
 * once per batch, not once per record.
 */
public final class Publisher {

  /** What happened to one record. */
  public sealed interface Outcome permits Ack, Failed {}

  /** Kafka acknowledged the record. */
  public record Ack(int partition, long offset, long timestamp) implements Outcome {}

  /** The record was not written. */
  public record Failed(ApiError error) implements Outcome {}

  private static final long FIRST_RETRY_MS = 5;
  private static final long MAX_RETRY_MS = 200;

  private final Vertx vertx;
  private final Producer<byte[], byte[]> producer;
  private final Duration metadataWait;
  private final Counter acked;
  private final Counter failed;
  private final io.micrometer.core.instrument.Timer ackLatency;
  private final io.tidegate.ops.TopicCounters published;

  public Publisher(Vertx vertx, Producer<byte[], byte[]> producer, Duration metadataWait, MeterRegistry registry) {
    this.vertx = vertx;
    this.producer = producer;
    this.metadataWait = metadataWait;
    this.acked = Counter.builder("tidegate.publish.records").tag("result", "acked")
        .description("Records Kafka acknowledged").register(registry);
    this.failed = Counter.builder("tidegate.publish.records").tag("result", "failed")
        .description("Records that were not written").register(registry);
    this.ackLatency = io.micrometer.core.instrument.Timer.builder("tidegate.publish.ack")
        .description("From handing a batch to the producer to Kafka's last acknowledgement of it").register(registry);
    this.published = new io.tidegate.ops.TopicCounters(registry, io.tidegate.ops.TopicCounters.PUBLISHED,
        "Records of the topic Kafka acknowledged");
  }

  public Producer<byte[], byte[]> producer() {
    return producer;
  }

  /**
   * Sends the records in order. The future completes on the caller's context once every record has an
   * outcome, however long Kafka takes (its delivery timeout bounds that); callers race it with their own timer.
   */
  public Future<List<Outcome>> send(String topic, List<PublishRecord> records) {
    Batch batch = new Batch(vertx.getOrCreateContext(), topic, records);
    batch.sendFrom();
    return batch.promise.future();
  }

  /** Flushes and closes the producer. Blocks: call it off the event loop. */
  public void close(Duration timeout) {
    producer.close(timeout);
  }

  private final class Batch {
    final Context ctx;
    final String topic;
    final List<PublishRecord> records;
    final Outcome[] outcomes;
    final AtomicInteger remaining;
    final Promise<List<Outcome>> promise = Promise.promise();
    final long deadlineNanos;
    final long startNanos = System.nanoTime();
    final Counter topicAcked;
    int next;
    long retryDelay = FIRST_RETRY_MS;
    /** The thread inside producer.send(), to tell a synchronous callback from an I/O-thread one. */
    Thread sending;
    boolean metadataMissing;

    Batch(Context ctx, String topic, List<PublishRecord> records) {
      this.ctx = ctx;
      this.topic = topic;
      this.records = records;
      this.outcomes = new Outcome[records.size()];
      this.remaining = new AtomicInteger(records.size());
      this.deadlineNanos = System.nanoTime() + metadataWait.toNanos();
      this.topicAcked = published.of(topic);
    }

    /** Runs on the context: sends from {@code next} on, or schedules a retry when metadata is missing. */
    void sendFrom() {
      while (next < records.size()) {
        int i = next;
        PublishRecord r = records.get(i);
        metadataMissing = false;
        sending = Thread.currentThread();
        try {
          producer.send(new ProducerRecord<>(topic, r.partition(), r.timestamp(), r.key(), r.value(), r.headers()),
              callback(i));
        } catch (RuntimeException e) {
          complete(i, new Failed(ErrorMapper.toApiError(e)));
        } finally {
          sending = null;
        }
        if (metadataMissing) {
          if (System.nanoTime() >= deadlineNanos) {
            for (int k = i; k < records.size(); k++) {
              complete(k, new Failed(ApiError.timeout("Kafka sent no metadata for topic '" + topic + "' within "
                  + metadataWait.toMillis() + " ms", 5)));
            }
            next = records.size();
            return;
          }
          long delay = retryDelay;
          retryDelay = Math.min(MAX_RETRY_MS, retryDelay * 2);
          vertx.setTimer(delay, t -> ctx.runOnContext(v -> sendFrom()));
          return;
        }
        next++;
      }
    }

    Callback callback(int i) {
      return (RecordMetadata md, Exception err) -> {
        if (err == null) {
          complete(i, new Ack(md.partition(), md.offset(), md.timestamp()));
        } else if (sending == Thread.currentThread() && err instanceof TimeoutException
            && !(err instanceof BufferExhaustedException)) {
          metadataMissing = true; // not a failure: retried by sendFrom()
        } else {
          // Kafka's producer names the partition a failed record went to (-1 when none was chosen yet)
          complete(i, new Failed(ErrorMapper.toApiError(err, topic, md == null ? -1 : md.partition())));
        }
      };
    }

    void complete(int i, Outcome o) {
      outcomes[i] = o;
      (o instanceof Ack ? acked : failed).increment();
      if (o instanceof Ack) {
        topicAcked.increment();
      }
      if (remaining.decrementAndGet() == 0) {
        ackLatency.record(System.nanoTime() - startNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        List<Outcome> all = Arrays.asList(outcomes);
        ctx.runOnContext(v -> promise.complete(all));
      }
    }
  }
}
