package io.tidegate.stream;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one live view of Kafka: a single consumer, manually assigned every partition of every topic
 * some client wants, read once however many sockets want it. Each record is encoded to its wire frame once,
 * and each polled batch is handed to every event loop's {@link Sink} ({@link FeedDispatch}).
 *
 * <p>Kafka's consumer blocks in poll, so it runs on a thread of its own, never on an event loop. The thread is
 * supervised: a failure is counted ({@code tidegate.feed.failures}, by cause), waited out (bounded backoff), and
 * the consumer replaced when it may be broken; the new one is put exactly where the feed stood
 * ({@link FeedPositions} keeps the positions). A position the log no longer holds restarts at the log start and
 * the sinks hear of it ({@link Sink#partitionReset}). The feed is down ({@link #isUp}) while it wants topics
 * but keeps failing or has read nothing from Kafka for {@code staleMs}.
 */
public final class LiveFeed implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LiveFeed.class);
  private static final long METADATA_CHECK_MS = 10_000;
  private static final long RETRY_MS = 1_000;

  /** Where a batch goes: one per event loop, always called on its own context. */
  public interface Sink {
    void partitionStarted(TopicPartition tp, long offset);

    void partitionsStopped(Set<TopicPartition> tps);

    /**
     * Delivers a batch; the sink calls {@code taken} once it is done with it (it may deliver in slices,
     * yielding its event loop between them), and the feed polls again only when every sink has.
     */
    void records(List<FeedRecord> batch, Runnable taken);

    /** Delivery of the partition on this loop jumps from {@code requested} to {@code offset}: a gap to announce. */
    void partitionReset(TopicPartition tp, long requested, long offset);
  }

  private final Supplier<Consumer<byte[], byte[]>> consumers;
  private final FeedPositions positions;
  private final FeedDispatch dispatch;
  private final FeedHealth health;
  private final DeliveryLatency latency;
  private final FeedTopics topics;
  private final AtomicBoolean changes = new AtomicBoolean();
  private final FeedPauses pauses;
  private volatile boolean running = true;
  private volatile Consumer<byte[], byte[]> consumer;
  private Thread thread;
  private long reassignDue;
  /** The last reassignment had every wanted topic's metadata and every partition's start. */
  private boolean complete;
  private final Object sleeper = new Object();

  /** {@code lingerMs}: how long a topic is still read after its last subscriber left (see {@link FeedTopics}). */
  public LiveFeed(Supplier<Consumer<byte[], byte[]>> consumers, MeterRegistry registry, long lingerMs) {
    this(consumers, registry, 5_000, 10_000, lingerMs);
  }

  /** {@code stallMs}: see {@link FeedDispatch}; {@code staleMs}: see {@link FeedHealth}. */
  LiveFeed(Supplier<Consumer<byte[], byte[]>> consumers, MeterRegistry registry, long stallMs, long staleMs,
      long lingerMs) {
    this.consumers = consumers;
    this.topics = new FeedTopics(lingerMs, registry);
    this.latency = new DeliveryLatency(registry);
    this.dispatch = new FeedDispatch(registry, stallMs, latency);
    this.health = new FeedHealth(registry, staleMs);
    this.positions = new FeedPositions(health);
    this.pauses = new FeedPauses(registry, this::wakeup);
    Gauge.builder("tidegate.feed.consumers", this, f -> f.consumer != null ? 1 : 0)
        .description("Kafka consumers the live feed holds (one per gateway while any topic is wanted)").register(registry);
    Gauge.builder("tidegate.feed.up", this, f -> f.isUp() ? 1 : 0)
        .description("1 while the live feed reads what it should, 0 while it is down").register(registry);
  }

  public void start() {
    thread = new Thread(this::run, "tidegate-live-feed");
    thread.setDaemon(true);
    thread.start();
  }

  /** The latency histograms of live delivery, which the sinks and clients record into. */
  public DeliveryLatency latency() {
    return latency;
  }

  /** Registers an event loop's sink; call from that event loop. */
  public void addSink(Context context, Sink sink) {
    dispatch.add(context, sink);
  }

  /** One more subscriber wants the topic; the first one makes the feed read it. */
  public void want(String topic) {
    if (topics.want(topic)) {
      changed();
    }
  }

  /** One subscriber less; after the last one the topic lingers for a while (see {@link FeedTopics}). */
  public void unwant(String topic) {
    if (topics.unwant(topic, System.currentTimeMillis())) {
      changed();
    }
  }

  /** A sink says whether it still has a subscriber of the topic that can take more records (see {@link FeedPauses}). */
  public void congestion(String topic, Object sink, boolean congested) {
    pauses.congestion(topic, sink, congested);
  }

  /** Partitions currently paused because all their subscribers are congested. */
  public int pausedPartitions() {
    return pauses.pausedPartitions();
  }

  /** Kafka consumers held: 1 while any topic is read, else 0. */
  public int consumers() {
    return consumer != null ? 1 : 0;
  }

  /** False while the feed wants topics but cannot read them (it keeps failing, or reads nothing from Kafka). */
  public boolean isUp() {
    return !running || topics.isEmpty() || health.isUp();
  }

  /** What readiness shows of the feed. */
  public JsonObject status() {
    return health.status().put("topics", topics.size());
  }

  /** A sink threw (the fan-out reports its subscribers' failures here): counted, logged once per kind. */
  void sinkFailed(Throwable e) {
    dispatch.sinkFailed(e);
  }

  private void changed() {
    changes.set(true);
    wakeup();
  }

  private void wakeup() {
    Consumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  /** The supervisor: the thread ends only when the feed is closed. */
  private void run() {
    try {
      while (running) {
        try {
          cycle();
        } catch (WakeupException e) {
          // a change (want, unwant, congestion) interrupted a call: the next cycle picks it up
        } catch (RuntimeException e) {
          failed(e);
        }
      }
    } catch (Throwable t) {
      health.dead(t); // an Error: readiness turns false for good
      LOG.error("The live feed stopped", t);
      throw t;
    } finally {
      if (consumer != null) {
        closeConsumer(true);
      }
    }
  }

  private void cycle() {
    if (topics.isEmpty()) {
      if (consumer != null) {
        closeConsumer(true);
      }
      changes.set(false);
      health.alive();
      sleep(50);
      return;
    }
    if (consumer == null) {
      consumer = consumers.get();
      positions.newConsumer();
      health.newConsumer(consumer);
      reassignDue = 0;
    }
    long now = System.currentTimeMillis();
    if (topics.expire(now)) {
      changes.set(true);
    }
    boolean changed = changes.getAndSet(false);
    if (changed || now >= reassignDue) {
      reassignDue = now; // due until one completes, whatever interrupts it
      complete = positions.reassign(consumer, topics.snapshot(), dispatch);
      reassignDue = now + (complete ? METADATA_CHECK_MS : RETRY_MS);
      pauses.changed();
    }
    if (positions.assigned().isEmpty()) {
      if (complete) {
        health.alive(); // the wanted topics have no partitions (yet): nothing to read
      }
      sleep(50);
      return;
    }
    pauses.apply(consumer, positions.assigned(), positions.pending());
    dispatch.catchUp();
    ConsumerRecords<byte[], byte[]> polled;
    try {
      polled = consumer.poll(Duration.ofMillis(200));
    } catch (OffsetOutOfRangeException e) {
      positions.outOfRange(e.offsetOutOfRangePartitions());
      reassignDue = 0;
      pauses.changed();
      return;
    }
    Set<TopicPartition> reading = positions.positions().keySet();
    health.polled(consumer, polled.count(), reading, pauses.allPaused(reading));
    Set<TopicPartition> announced = Set.copyOf(reading);
    positions.advance(polled);
    if (!polled.isEmpty()) {
      dispatch.deliver(polled, announced, () -> running, health::alive);
    }
  }

  private void failed(RuntimeException e) {
    int n = health.failed(e.getClass().getSimpleName(), e);
    boolean replace = !(e instanceof RetriableException) || n >= 3;
    long backoff = Math.min(5_000, 100L << Math.min(n - 1, 6));
    LOG.warn("The live feed failed ({} in a row: {}); {} in {} ms", n, e.toString(),
        replace ? "a new consumer resumes where it stood" : "retrying", backoff);
    if (replace && consumer != null) {
      closeConsumer(false);
    }
    sleep(backoff);
  }

  /** Closes the consumer; {@code forget}: no topic is wanted, so the sinks hear every partition stop. */
  private void closeConsumer(boolean forget) {
    if (forget) {
      Set<TopicPartition> all = positions.clear();
      if (!all.isEmpty()) {
        dispatch.stopped(all);
      }
      pauses.cleared();
    }
    Consumer<byte[], byte[]> c = consumer;
    consumer = null;
    health.newConsumer(null);
    try {
      c.close(Duration.ofSeconds(2));
    } catch (RuntimeException e) {
      LOG.debug("Closing the feed consumer: {}", e.getMessage());
    }
  }

  /** Waits, or less if the feed is closed meanwhile. */
  private void sleep(long ms) {
    synchronized (sleeper) {
      try {
        if (running) {
          sleeper.wait(ms);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    running = false;
    wakeup();
    synchronized (sleeper) {
      sleeper.notifyAll();
    }
    if (thread != null) {
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
