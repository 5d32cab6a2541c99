package io.tidegate.webhook;

import io.tidegate.codec.RecordEncoder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.kafka.client.common.PartitionInfo;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.KafkaConsumerRecords;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One redrive of a webhook's dead letters: reads its dead-letter topic from where the group
 * {@code <webhook group>.redrive} last committed (the beginning the first time) up to the end offsets taken when it
 * starts, and sends each record through the webhook again with its original {@code webhook-id}, its signature and
 * its retries. What fails again is written back to the dead-letter topic (after those ends, so this redrive does not
 * meet it again, and the next one does). Offsets are committed after each batch, so a second redrive, on any
 * gateway, does not send again what this one finished. It holds one poll of records at a time (at most
 * {@code batch}); their keys go in parallel, the records of one key in order. Undeploys itself when done.
 */
final class Redrive extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(Redrive.class);
  private static final Duration POLL = Duration.ofMillis(500);
  /** A redrive that makes no progress for this long (Kafka unreachable) gives up; the next one resumes. */
  private static final long STALL_MS = 60_000;

  private final WebhookDefinition def;
  private final Callable<Consumer<byte[], byte[]>> create;
  private final Sender sender;
  private final DeadLetters deadLetters;
  private final WebhookMeters meters;
  private final RedriveRun run;
  private final Signature signature;
  private final Map<TopicPartition, Long> ends = new HashMap<>();
  private final Map<TopicPartition, Long> reached = new HashMap<>();
  private KafkaConsumer<byte[], byte[]> consumer;
  private volatile boolean stopped;
  private long lastProgress = System.currentTimeMillis();

  Redrive(WebhookDefinition def, Callable<Consumer<byte[], byte[]>> create, Sender sender, DeadLetters deadLetters,
      WebhookMeters meters, RedriveRun run) {
    this.def = def;
    this.create = create;
    this.sender = sender;
    this.deadLetters = deadLetters;
    this.meters = meters;
    this.run = run;
    this.signature = def.secret() == null ? null : new Signature(def.secret());
  }

  /** Completes once the records to redrive are counted (in {@link RedriveRun#pending}); then they go out. */
  @Override
  public Future<?> start() {
    // the consumer's constructor may block (name resolution): on a worker, with this verticle's context current
    return vertx.executeBlocking(() -> KafkaConsumer.create(vertx, create.call()))
        .compose(c -> {
          consumer = c;
          return c.partitionsFor(def.deadLetterTopic());
        })
        .compose(this::positions)
        .onSuccess(v -> vertx.runOnContext(x -> next()));
  }

  private Future<Void> positions(List<PartitionInfo> partitions) {
    Set<TopicPartition> tps = new HashSet<>();
    for (PartitionInfo p : partitions) {
      tps.add(new TopicPartition(def.deadLetterTopic(), p.getPartition()));
    }
    if (tps.isEmpty()) {
      run.running(0);
      return Future.succeededFuture();
    }
    Future<Map<TopicPartition, Long>> end = consumer.endOffsets(tps);
    Future<Map<TopicPartition, Long>> begin = consumer.beginningOffsets(tps);
    Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
    List<Future<?>> all = new ArrayList<>(List.of(end, begin));
    for (TopicPartition tp : tps) {
      all.add(consumer.committed(tp).andThen(ar -> {
        if (ar.succeeded() && ar.result() != null) {
          committed.put(tp, ar.result());
        }
      }));
    }
    return Future.all(all).compose(x -> consumer.assign(tps)).compose(x -> {
      long pending = 0;
      List<Future<Void>> seeks = new ArrayList<>();
      for (TopicPartition tp : tps) {
        OffsetAndMetadata c = committed.get(tp);
        long from = Math.max(begin.result().getOrDefault(tp, 0L), c == null ? 0 : c.getOffset());
        long to = end.result().getOrDefault(tp, 0L);
        reached.put(tp, from);
        ends.put(tp, to);
        pending += Math.max(0, to - from);
        seeks.add(consumer.seek(tp, from));
      }
      run.running(pending);
      return Future.all(seeks).mapEmpty();
    });
  }

  private boolean done() {
    return ends.entrySet().stream().allMatch(e -> reached.get(e.getKey()) >= e.getValue());
  }

  private void next() {
    if (stopped) {
      return;
    }
    if (done()) {
      finish(null);
      return;
    }
    if (System.currentTimeMillis() - lastProgress > STALL_MS) {
      finish("no progress for " + STALL_MS / 1000 + " s (Kafka unreachable?); a later redrive resumes where this one stopped");
      return;
    }
    consumer.poll(POLL)
        .compose(this::process)
        .compose(v -> commit())
        .onSuccess(v -> next())
        .onFailure(e -> finish(e.getMessage() == null ? e.toString() : e.getMessage()));
  }

  /** Sends a batch: keys in parallel, each key's records in offset order; completes when all are finished. */
  private Future<Void> process(KafkaConsumerRecords<byte[], byte[]> batch) {
    Map<Object, List<KafkaConsumerRecord<byte[], byte[]>>> byKey = new LinkedHashMap<>();
    Set<TopicPartition> finished = new HashSet<>();
    for (int i = 0; i < batch.size(); i++) {
      KafkaConsumerRecord<byte[], byte[]> r = batch.recordAt(i);
      TopicPartition tp = new TopicPartition(r.topic(), r.partition());
      Long end = ends.get(tp);
      if (end == null || r.offset() >= end) {
        finished.add(tp); // written after the redrive started: the next one takes it
        continue;
      }
      Object key = r.key() == null ? new Object() : ByteBuffer.wrap(r.key());
      byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
    }
    if (!finished.isEmpty()) {
      consumer.pause(finished);
    }
    List<Future<Void>> chains = new ArrayList<>();
    for (List<KafkaConsumerRecord<byte[], byte[]>> records : byKey.values()) {
      Future<Void> chain = Future.succeededFuture();
      for (KafkaConsumerRecord<byte[], byte[]> r : records) {
        chain = chain.compose(v -> redeliver(DeadLetter.of(r)));
      }
      chains.add(chain);
    }
    return Future.all(chains).mapEmpty();
  }

  /** Completes when the record is delivered or written back to the dead-letter topic; fails only when that fails. */
  private Future<Void> redeliver(DeadLetter letter) {
    byte[] body = RecordEncoder.encode(letter.original(), null);
    Promise<Void> settled = Promise.promise();
    attempt(letter, body, 1, settled);
    return settled.future();
  }

  private void attempt(DeadLetter letter, byte[] body, int attempt, Promise<Void> settled) {
    if (stopped) {
      settled.tryFail("the redrive was stopped");
      return;
    }
    long now = System.currentTimeMillis();
    sender.post(def, letter.id(), now / 1000, body, signature).onComplete(ar -> {
      Outcome o = ar.succeeded() ? ar.result() : new Outcome(0, 0, "no answer: " + ar.cause());
      lastProgress = System.currentTimeMillis();
      if (o.delivered()) {
        meters.delivered.increment();
        meters.redriven.increment();
        run.redriven();
        settled.tryComplete();
        return;
      }
      meters.failed(o);
      if (attempt >= def.maxAttempts() || o.gone() || stopped) {
        deadLetters.again(def.deadLetterTopic(), letter, o, attempt).onComplete(w -> {
          if (w.succeeded()) {
            meters.deadLettered.increment();
            run.failedAgain();
            settled.tryComplete();
          } else {
            settled.tryFail("writing a dead letter back failed: " + w.cause().getMessage());
          }
        });
      } else {
        meters.retries.increment();
        long delay = Backoff.delayMs(def.initialMs(), def.maxMs(), attempt, o.retryAfterMs());
        vertx.setTimer(delay, t -> attempt(letter, body, attempt + 1, settled));
      }
    });
  }

  /** Commits, per partition, the position reached (never past the end taken at the start). */
  private Future<Void> commit() {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    List<Future<Void>> positions = new ArrayList<>();
    for (TopicPartition tp : ends.keySet()) {
      if (reached.get(tp) >= ends.get(tp)) {
        continue;
      }
      positions.add(consumer.position(tp).<Void>map(p -> {
        long at = Math.min(p, ends.get(tp));
        if (at > reached.get(tp)) {
          reached.put(tp, at);
          offsets.put(tp, new OffsetAndMetadata(at, ""));
          lastProgress = System.currentTimeMillis();
        }
        return null;
      }));
    }
    return Future.all(positions).compose(x -> offsets.isEmpty() ? Future.succeededFuture()
        : consumer.commit(offsets).mapEmpty());
  }

  private void finish(String error) {
    if (error != null) {
      LOG.warn("webhook '{}': redrive stopped: {}", def.name(), error);
    } else {
      LOG.info("webhook '{}': redrive done ({} delivered, {} failed again)", def.name(), run.redriven.get(), run.failed.get());
    }
    run.finished(error);
    vertx.undeploy(deploymentID());
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    if (run.active()) {
      run.finished("stopped: the gateway is stopping or the webhook changed");
    }
    return consumer == null ? Future.succeededFuture() : consumer.close().timeout(10, TimeUnit.SECONDS);
  }
}
