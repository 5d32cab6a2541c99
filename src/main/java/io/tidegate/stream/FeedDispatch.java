package io.tidegate.stream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tidegate.codec.RecordEncoder;
import io.tidegate.ops.TopicCounters;
import io.vertx.core.Context;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the live feed's batches to the sinks (one per event loop, each called on its own context), one batch
 * ahead: a batch is handed and the feed polls the next one while the loops deliver it; the next is handed once
 * every sink has taken the one before (waiting for that, bounded, before handing it or anything else). So the
 * poll and the encoding of a batch overlap the delivery of the one before, and at most two batches are in
 * memory besides the consumer's buffers: the one the sinks hold and the one the feed holds.
 *
 * <p>One sink must not wedge the others. A sink that throws has taken its batch (the failure is counted and
 * logged once per kind). A sink that has not taken its batch after {@code stallMs}, and whose event loop does
 * not answer a ping within that time either (or that has not taken it after {@code 6 × stallMs} whatever its
 * loop does), is <em>stalled</em>: the next batches skip it, and the feed no longer waits for it. Once it has
 * taken its batch it gets the next one again, preceded by a {@link LiveFeed.Sink#partitionReset} for every
 * partition it missed (from the first offset it missed to the one after the last), which its subscribers
 * hear as a {@code reset}: a gap the feed could not avoid is never silent. A loop that is merely slow (busy,
 * but answering) is waited for, as before.
 */
final class FeedDispatch implements FeedPositions.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(FeedDispatch.class);

  private static final class Target {
    final Context context;
    final LiveFeed.Sink sink;
    /** It holds a batch it has not taken yet. */
    volatile boolean holding;
    volatile long handedAt;
    volatile long answeredAt;
    volatile boolean pinging;
    /** Feed thread only: skipped until it takes what it holds; per partition, the offsets it missed [from, to). */
    boolean stalled;
    final Map<TopicPartition, long[]> missed = new HashMap<>();

    Target(Context context, LiveFeed.Sink sink) {
      this.context = context;
      this.sink = sink;
    }
  }

  private final List<Target> targets = new CopyOnWriteArrayList<>();
  private final long stallNanos;
  private final Semaphore takenSignal = new Semaphore(0);
  private final Set<Class<?>> logged = ConcurrentHashMap.newKeySet();
  private final Counter errors;
  private final Counter stalls;
  private final Counter skipped;
  private final Counter resets;
  private final Counter retentionResets;
  private final Counter filterEvaluations;
  private final TopicCounters read;
  private final DeliveryLatency latency;
  /** Feed thread only: the sinks handed the last batch (they may still hold it), and how to wait for them. */
  private final List<Target> inFlight = new ArrayList<>();
  private BooleanSupplier running = () -> false;
  private Runnable alive = () -> { };

  FeedDispatch(MeterRegistry registry, long stallMs, DeliveryLatency latency) {
    this.latency = latency;
    this.stallNanos = TimeUnit.MILLISECONDS.toNanos(stallMs);
    errors = Counter.builder("tidegate.feed.sink.errors")
        .description("Exceptions a sink (an event loop's fan-out) threw on the live feed's calls").register(registry);
    stalls = Counter.builder("tidegate.feed.sink.stalls")
        .description("Times an event loop did not take a live batch in time and was skipped").register(registry);
    skipped = Counter.builder("tidegate.feed.sink.skipped")
        .description("Live batches not handed to a stalled event loop").register(registry);
    resets = Counter.builder("tidegate.feed.resets").tag("cause", "stall")
        .description("Partitions whose delivery jumped ahead, announced to subscribers as a reset").register(registry);
    retentionResets = Counter.builder("tidegate.feed.resets").tag("cause", "retention")
        .description("Partitions whose delivery jumped ahead, announced to subscribers as a reset").register(registry);
    filterEvaluations = Counter.builder("tidegate.filter.evaluations")
        .description("Filter evaluations on live records: one per record and distinct filter, however many "
            + "subscriptions share the filter").register(registry);
    read = new TopicCounters(registry, TopicCounters.READ, "Records of the topic the live feed read from Kafka");
  }

  @Override
  public void started(TopicPartition tp, long offset) {
    broadcast(s -> s.partitionStarted(tp, offset));
  }

  @Override
  public void stopped(Set<TopicPartition> tps) {
    Set<TopicPartition> copy = Set.copyOf(tps);
    broadcast(s -> s.partitionsStopped(copy));
  }

  /** The log no longer holds the feed's position: every loop's subscribers hear of the gap. */
  @Override
  public void reset(TopicPartition tp, long requested, long offset) {
    retentionResets.increment();
    LOG.warn("The live feed's position {} on {} is gone from the log; it reads on from {}", requested, tp, offset);
    broadcast(s -> s.partitionReset(tp, requested, offset));
  }

  /**
   * Encodes each record once (skipping partitions not announced yet, which are paused so none arrive) and
   * dispatches the batch.
   */
  void deliver(ConsumerRecords<byte[], byte[]> polled, Set<TopicPartition> announced, BooleanSupplier running,
      Runnable alive) {
    List<FeedRecord> batch = new ArrayList<>(polled.count());
    long oldest = Long.MAX_VALUE;
    for (TopicPartition tp : polled.partitions()) {
      if (announced.contains(tp)) {
        List<ConsumerRecord<byte[], byte[]>> records = polled.records(tp);
        read.of(tp.topic()).increment(records.size());
        for (ConsumerRecord<byte[], byte[]> r : records) {
          batch.add(new FeedRecord(r, RecordEncoder.encode(r, "record"), filterEvaluations));
          oldest = Math.min(oldest, r.timestamp());
        }
      }
    }
    if (!batch.isEmpty()) {
      latency.polled(oldest);
      dispatch(List.copyOf(batch), running, alive);
    }
  }

  void add(Context context, LiveFeed.Sink sink) {
    targets.add(new Target(context, sink));
  }

  /**
   * Calls every sink on its own context (partition starts, stops, resets); a failure is counted. Called on the
   * feed thread, after the sinks have taken the batch they hold, so a call never comes between its slices.
   */
  void broadcast(java.util.function.Consumer<LiveFeed.Sink> call) {
    settle();
    for (Target t : targets) {
      t.context.runOnContext(v -> {
        try {
          call.accept(t.sink);
        } catch (RuntimeException e) {
          sinkFailed(e);
        }
      });
    }
  }

  /** A sink failed: counted, and logged once per kind of failure. */
  void sinkFailed(Throwable e) {
    errors.increment();
    if (logged.add(e.getClass())) {
      LOG.error("A live feed sink failed (further failures of this kind are only counted)", e);
    }
  }

  /**
   * Waits until every sink has taken the batch before (or has stalled), then hands this one to every sink that
   * can take it and returns: the feed polls the next batch while the sinks deliver this one. {@code alive} runs
   * while waiting (the feed is busy, not stuck); {@code running} false ends the wait.
   */
  void dispatch(List<FeedRecord> batch, BooleanSupplier running, Runnable alive) {
    this.running = running;
    this.alive = alive;
    settle();
    for (Target t : targets) {
      if (t.stalled && t.holding) {
        skipped.increment();
        for (FeedRecord r : batch) {
          long[] range = t.missed.computeIfAbsent(new TopicPartition(r.topic(), r.partition()),
              tp -> new long[] {r.offset(), r.offset() + 1});
          range[1] = Math.max(range[1], r.offset() + 1);
        }
        continue;
      }
      caughtUp(t);
      hand(t, batch);
      inFlight.add(t);
    }
  }

  /** Waits until the sinks handed the last batch have taken it, or have stalled, or the feed stops. */
  void settle() {
    if (!inFlight.isEmpty()) {
      await(inFlight, running, alive);
      inFlight.clear();
    }
  }

  /** Sinks that were stalled and have taken their batch since hear what they missed now, not at the next batch. */
  void catchUp() {
    targets.forEach(this::caughtUp);
  }

  private void caughtUp(Target t) {
    if (!t.stalled || t.holding) {
      return;
    }
    t.stalled = false;
    Map<TopicPartition, long[]> missed = new HashMap<>(t.missed);
    t.missed.clear();
    LOG.info("An event loop caught up with the live feed; it missed {} partition(s)", missed.size());
    resets.increment(missed.size());
    t.context.runOnContext(v -> missed.forEach((tp, range) -> {
      try {
        t.sink.partitionReset(tp, range[0], range[1]);
      } catch (RuntimeException e) {
        sinkFailed(e);
      }
    }));
  }

  private void hand(Target t, List<FeedRecord> batch) {
    AtomicBoolean once = new AtomicBoolean();
    Runnable taken = () -> {
      if (once.compareAndSet(false, true)) {
        t.holding = false;
        takenSignal.release();
      }
    };
    long now = System.nanoTime();
    t.handedAt = now;
    t.answeredAt = now;
    t.holding = true;
    t.context.runOnContext(v -> {
      t.answeredAt = System.nanoTime();
      try {
        t.sink.records(batch, taken);
      } catch (RuntimeException e) {
        sinkFailed(e);
        taken.run();
      }
    });
  }

  /** Backpressure: waits until every sink handed the batch has taken it, is stalled, or the feed stops. */
  private void await(List<Target> handed, BooleanSupplier running, Runnable alive) {
    List<Target> waiting = new ArrayList<>(handed);
    // sinks take batches while the feed polls, and each take leaves a permit: old ones would only spin this loop
    // (a take after this sets its holding false before it releases, so none is missed)
    takenSignal.drainPermits();
    while (running.getAsBoolean()) {
      waiting.removeIf(t -> !t.holding);
      if (waiting.isEmpty()) {
        return;
      }
      try {
        takenSignal.tryAcquire(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      alive.run();
      long now = System.nanoTime();
      for (Target t : waiting) {
        if (!t.holding) {
          continue;
        }
        boolean late = now - t.handedAt > stallNanos;
        if (late && (now - t.answeredAt > stallNanos || now - t.handedAt > 6 * stallNanos)) {
          t.stalled = true;
          stalls.increment();
          LOG.warn("An event loop has not taken a live batch in {} ms; it is skipped until it does",
              TimeUnit.NANOSECONDS.toMillis(now - t.handedAt));
        } else if (!t.pinging) {
          t.pinging = true;
          t.context.runOnContext(v -> {
            t.answeredAt = System.nanoTime();
            t.pinging = false;
          });
        }
      }
      waiting.removeIf(t -> t.stalled);
    }
  }
}
