package io.tidegate.webhook;

import io.tidegate.codec.RecordEncoder;
import io.tidegate.codec.RecordFilter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One webhook's delivery on this gateway: a member of the webhook's consumer group (the gateways on a cluster share
 * its partitions) that POSTs each record, retries with backoff, dead-letters what keeps failing, and commits only
 * offsets below which every record is finished. At most {@code maxInFlight} records are held: past that the
 * webhook's partitions are paused, and only this webhook's.
 */
final class WebhookDelivery extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookDelivery.class);
  private static final long COMMIT_EVERY_MS = 500;
  /**
   * Records finished past a partition's lowest unfinished record (one slow key) that may be held before the
   * webhook's partitions pause: they cannot be committed yet, so they bound memory and what a hand-over repeats.
   */
  static final int MAX_AHEAD = 10_000;

  private final WebhookDefinition def;
  private final Callable<Consumer<byte[], byte[]>> create;
  private final Sender sender;
  private final DeadLetters deadLetters;
  private final WebhookMeters meters;
  private final int maxInFlight;
  private final BiConsumer<String, String> gone;
  private final RecordFilter filter;
  private final Signature signature;
  private final Map<TopicPartition, PartitionLedger> ledgers = new HashMap<>();
  private final Set<TopicPartition> assigned = new HashSet<>();
  private KafkaConsumer<byte[], byte[]> consumer;
  private int inFlight;
  private boolean paused;
  private boolean stopped;
  private long commitTimer = -1;

  /** @param gone told (name, why) when a receiver answers 410 Gone */
  WebhookDelivery(WebhookDefinition def, Callable<Consumer<byte[], byte[]>> create, Sender sender,
      DeadLetters deadLetters, WebhookMeters meters, int maxInFlight, BiConsumer<String, String> gone) {
    this.def = def;
    this.create = create;
    this.sender = sender;
    this.deadLetters = deadLetters;
    this.meters = meters;
    this.maxInFlight = maxInFlight;
    this.gone = gone;
    this.filter = def.recordFilter();
    this.signature = def.secret() == null ? null : new Signature(def.secret());
  }

  @Override
  public Future<?> start() {
    // On a worker with this verticle's context current, so the consumer, its handlers and the timer are bound to
    // that context; Kafka's constructor (it may resolve names) and the first loading of the classes and lambdas
    // involved (hundreds of milliseconds on a busy machine) stay off the event loop.
    return vertx.executeBlocking(() -> {
      KafkaConsumer<byte[], byte[]> c = KafkaConsumer.create(vertx, create.call());
      c.exceptionHandler(e -> LOG.warn("webhook '{}': {}", def.name(), e.toString()));
      c.partitionsAssignedHandler(this::assigned);
      c.partitionsRevokedHandler(this::revoked);
      c.handler(this::received);
      commitTimer = vertx.setPeriodic(COMMIT_EVERY_MS, t -> commit());
      consumer = c;
      return c;
    }).compose(c -> c.subscribe(new HashSet<>(def.topics())));
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    vertx.cancelTimer(commitTimer);
    if (consumer == null) {
      return Future.succeededFuture();
    }
    // what is not committed once this last commit is done (in flight, or finished past what is) is sent again by
    // the next owner of the partitions: counted as abandoned
    // the count must not wait on a commit stuck behind the consumer's poll: after 3 s it counts from the last
    // commit that succeeded (more, never fewer, than what is sent again)
    return commit().timeout(3, TimeUnit.SECONDS).recover(e -> Future.succeededFuture())
        .andThen(v -> ledgers.values().forEach(l -> meters.abandoned.increment(l.exposed())))
        .compose(v -> consumer.close())
        .timeout(10, TimeUnit.SECONDS);
  }

  /** Records held now (for status). */
  int inFlight() {
    return inFlight;
  }

  private void assigned(Set<TopicPartition> tps) {
    assigned.addAll(tps);
    if (paused && !tps.isEmpty()) {
      consumer.pause(tps);
    }
  }

  private void revoked(Set<TopicPartition> tps) {
    for (TopicPartition tp : tps) {
      assigned.remove(tp);
      PartitionLedger ledger = ledgers.remove(tp);
      if (ledger != null) {
        inFlight -= ledger.unfinished();
        meters.abandoned.increment(ledger.revoke());
      }
    }
    resumeIfRoom();
  }

  private void received(KafkaConsumerRecord<byte[], byte[]> r) {
    if (stopped) {
      return;
    }
    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
    PartitionLedger ledger = ledgers.computeIfAbsent(tp, k -> new PartitionLedger());
    if (!filter.isAll() && !filter.matches(r.record())) {
      ledger.skip(r.offset());
      return;
    }
    PartitionLedger.Job job = new PartitionLedger.Job(r, ledger);
    inFlight++;
    if (ledger.add(job)) {
      attempt(job);
    }
    if ((inFlight >= maxInFlight || ahead() >= MAX_AHEAD) && !paused) {
      paused = true;
      consumer.pause(new HashSet<>(assigned));
    }
  }

  private void attempt(PartitionLedger.Job job) {
    if (stopped || job.ledger.revoked()) {
      return;
    }
    if (job.body == null) {
      job.body = RecordEncoder.encode(job.record.record(), null);
    }
    job.attempts++;
    long now = System.currentTimeMillis();
    sender.post(def, job.id(), now / 1000, job.body, signature).onComplete(ar -> {
      if (stopped || job.ledger.revoked()) {
        return;
      }
      Outcome o = ar.succeeded() ? ar.result() : new Outcome(0, 0, "no answer: " + ar.cause());
      if (o.delivered()) {
        meters.delivered.increment();
        meters.latency.record(Math.max(0, System.currentTimeMillis() - job.record.timestamp()), TimeUnit.MILLISECONDS);
        finish(job);
        return;
      }
      meters.failed(o);
      if (o.gone()) {
        LOG.warn("webhook '{}': the receiver answered 410 Gone; delivery stops", def.name());
        stopped = true;
        gone.accept(def.name(), "the receiver answered 410 Gone at " + java.time.Instant.ofEpochMilli(now));
      } else if (job.attempts >= def.maxAttempts()) {
        deadLetter(job, o);
      } else {
        meters.retries.increment();
        long delay = Backoff.delayMs(def.initialMs(), def.maxMs(), job.attempts, o.retryAfterMs());
        vertx.setTimer(delay, t -> attempt(job));
      }
    });
  }

  private void deadLetter(PartitionLedger.Job job, Outcome last) {
    if (stopped || job.ledger.revoked()) {
      return;
    }
    deadLetters.send(def.deadLetterTopic(), job.record, last, job.attempts).onComplete(ar -> {
      if (ar.succeeded()) {
        meters.deadLettered.increment();
        finish(job);
      } else {
        // not finished, so not committed past: write it again later
        LOG.warn("webhook '{}': dead letter to '{}' failed ({}); trying again", def.name(), def.deadLetterTopic(),
            ar.cause().toString());
        vertx.setTimer(def.maxMs(), t -> deadLetter(job, last));
      }
    });
  }

  private void finish(PartitionLedger.Job job) {
    if (job.ledger.revoked()) {
      return;
    }
    inFlight--;
    PartitionLedger.Job next = job.ledger.done(job);
    if (next != null) {
      attempt(next);
    }
    resumeIfRoom();
  }

  private void resumeIfRoom() {
    if (paused && !stopped && inFlight < maxInFlight && ahead() < MAX_AHEAD) {
      paused = false;
      consumer.resume(new HashSet<>(assigned));
      // the consumer's one worker thread is most likely in a poll that, every partition being paused, returns only
      // at its timeout (a second): the resume waits behind it. Waking the poll up (Kafka's one thread-safe call;
      // the stream takes the WakeupException as an empty poll) applies the resume now.
      consumer.unwrap().wakeup();
    }
  }

  private int ahead() {
    int n = 0;
    for (PartitionLedger ledger : ledgers.values()) {
      n += ledger.ahead();
    }
    return n;
  }

  private static boolean wokeUp(Throwable e) {
    return e instanceof org.apache.kafka.common.errors.WakeupException
        || e.getCause() instanceof org.apache.kafka.common.errors.WakeupException;
  }

  private Future<Void> commit() {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    Map<TopicPartition, PartitionLedger> which = new HashMap<>();
    ledgers.forEach((tp, ledger) -> {
      long c = ledger.toCommit();
      if (c >= 0) {
        offsets.put(tp, new OffsetAndMetadata(c, ""));
        which.put(tp, ledger);
      }
    });
    if (offsets.isEmpty() || consumer == null) {
      return Future.succeededFuture();
    }
    return consumer.commit(offsets).<Void>map(done -> {
      offsets.forEach((tp, o) -> which.get(tp).committed(o.getOffset()));
      return null;
    }).onFailure(e -> {
      if (wokeUp(e)) {
        // the commit (a commitSync on the consumer's thread) took the wake-up meant for a paused poll: send another
        consumer.unwrap().wakeup();
      }
      LOG.debug("webhook '{}': commit failed ({}); the next one covers it", def.name(), e.toString());
    });
  }
}
