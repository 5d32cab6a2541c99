package io.tidegate.stream;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tidegate.codec.RecordEncoder;
import io.vertx.core.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one live view of Kafka: a single consumer, manually assigned every partition of every topic
 * some client wants, read once however many sockets want it. Each record is encoded to its wire frame once,
 * and each polled batch is handed to every event loop's {@link Sink} in one task. The next poll waits until
 * every sink has taken the batch, so at most one batch is in memory besides the consumer's own buffers.
 *
 * <p>Kafka's consumer blocks in poll, so it runs on a thread of its own, never on an event loop.
 * A partition joins the feed at its end offset; a sink learns that offset ({@link Sink#partitionStarted})
 * before any record of the partition. Partitions added to a topic later are read from their beginning.
 */
public final class LiveFeed implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LiveFeed.class);
  private static final long METADATA_CHECK_MS = 10_000;

  /** Where a batch goes: one per event loop, always called on its own context. */
  public interface Sink {
    void partitionStarted(TopicPartition tp, long offset);

    void partitionsStopped(Set<TopicPartition> tps);

    /**
     * Delivers a batch; the sink calls {@code taken} once it is done with it (it may deliver in slices,
     * yielding its event loop between them), and the feed polls again only when every sink has.
     */
    void records(List<FeedRecord> batch, Runnable taken);

    /** Delivery of the partition on this loop jumps from {@code requested} to {@code offset}. */
    default void partitionReset(TopicPartition tp, long requested, long offset) {}
  }

  private record Registered(Context context, Sink sink) {}

  private final java.util.function.Supplier<Consumer<byte[], byte[]>> consumers;
  private final List<Registered> sinks = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> wanted = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Runnable> changes = new ConcurrentLinkedQueue<>();
  /** Per topic, the sinks that have a subscriber able to take more records. */
  private final Map<String, Set<Object>> readySinks = new HashMap<>();
  /** Topics whose every subscriber is congested: their partitions are not fetched. */
  private final Set<String> pausedTopics = ConcurrentHashMap.newKeySet();
  private volatile boolean pausesChanged;
  private final AtomicInteger pausedPartitions = new AtomicInteger();
  private final io.micrometer.core.instrument.Counter pauses;
  private final io.micrometer.core.instrument.Counter filterEvaluations;
  private final io.tidegate.ops.TopicCounters read;
  private volatile boolean running = true;
  private volatile boolean consuming;
  private Thread thread;
  private Consumer<byte[], byte[]> consumer;

  public LiveFeed(java.util.function.Supplier<Consumer<byte[], byte[]>> consumers, MeterRegistry registry) {
    this.consumers = consumers;
    Gauge.builder("tidegate.feed.consumers", this, f -> f.consuming ? 1 : 0)
        .description("Kafka consumers the live feed holds (one per gateway while any topic is wanted)").register(registry);
    Gauge.builder("tidegate.feed.topics", wanted, Map::size)
        .description("Topics the live feed reads").register(registry);
    Gauge.builder("tidegate.feed.paused.partitions", pausedPartitions, AtomicInteger::get)
        .description("Partitions not fetched because every subscriber of them is congested").register(registry);
    pauses = io.micrometer.core.instrument.Counter.builder("tidegate.feed.pauses")
        .description("Times a topic's fetch was paused because every subscriber of it was congested")
        .register(registry);
    filterEvaluations = io.micrometer.core.instrument.Counter.builder("tidegate.filter.evaluations")
        .description("Filter evaluations on live records: one per record and distinct filter, however many "
            + "subscriptions share the filter").register(registry);
    read = new io.tidegate.ops.TopicCounters(registry, io.tidegate.ops.TopicCounters.READ,
        "Records of the topic the live feed read from Kafka");
  }

  public void start() {
    thread = new Thread(this::run, "tidegate-live-feed");
    thread.setDaemon(true);
    thread.start();
  }

  /** Registers an event loop's sink; call from that event loop. */
  public void addSink(Context context, Sink sink) {
    sinks.add(new Registered(context, sink));
  }

  /** One more subscriber wants the topic; the first one makes the feed read it. */
  public void want(String topic) {
    boolean first;
    synchronized (wanted) {
      first = wanted.computeIfAbsent(topic, t -> new AtomicInteger()).incrementAndGet() == 1;
    }
    if (first) {
      changed();
    }
  }

  /** One subscriber less; the last one stops the reading. */
  public void unwant(String topic) {
    boolean last = false;
    synchronized (wanted) {
      AtomicInteger n = wanted.get(topic);
      if (n != null && n.decrementAndGet() <= 0) {
        wanted.remove(topic);
        last = true;
      }
    }
    if (last) {
      changed();
    }
  }

  /**
   * A sink says whether it still has a subscriber of the topic that can take more records. While no sink
   * has one, the topic's partitions are paused (the consumer keeps fetching every other partition).
   */
  public void congestion(String topic, Object sink, boolean congested) {
    boolean change;
    synchronized (readySinks) {
      Set<Object> ready = readySinks.computeIfAbsent(topic, t -> new HashSet<>());
      if (congested) {
        ready.remove(sink);
      } else {
        ready.add(sink);
      }
      boolean pause = ready.isEmpty();
      if (pause) {
        readySinks.remove(topic);
      }
      change = pause ? pausedTopics.add(topic) : pausedTopics.remove(topic);
      if (change && pause) {
        pauses.increment();
      }
    }
    if (change) {
      pausesChanged = true;
      Consumer<byte[], byte[]> c = consumer;
      if (c != null) {
        c.wakeup();
      }
    }
  }

  /** Whether the feed reads what it is asked to read. */
  public boolean isUp() {
    return true;
  }

  /** Partitions currently paused because all their subscribers are congested. */
  public int pausedPartitions() {
    return pausedPartitions.get();
  }

  /** Kafka consumers held: 1 while any topic is read, else 0. */
  public int consumers() {
    return consuming ? 1 : 0;
  }

  private void changed() {
    changes.add(() -> { });
    Consumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  private void run() {
    Map<TopicPartition, Boolean> assigned = new HashMap<>();
    long nextMetadataCheck = 0;
    try {
      while (running) {
        if (wanted.isEmpty()) {
          if (consumer != null) {
            closeConsumer(assigned);
          }
          changes.clear();
          sleep(50);
          continue;
        }
        if (consumer == null) {
          consumer = consumers.get();
          consuming = true;
          nextMetadataCheck = 0;
        }
        boolean dirty = changes.poll() != null;
        while (changes.poll() != null) {
          dirty = true;
        }
        if (dirty || System.currentTimeMillis() >= nextMetadataCheck) {
          try {
            reassign(assigned);
          } catch (WakeupException e) {
            changes.add(() -> { }); // another change arrived meanwhile: do it again
            continue;
          }
          nextMetadataCheck = System.currentTimeMillis() + METADATA_CHECK_MS;
        }
        if (assigned.isEmpty()) {
          sleep(50);
          continue;
        }
        if (pausesChanged) {
          pausesChanged = false;
          applyPauses(assigned.keySet());
        }
        ConsumerRecords<byte[], byte[]> polled;
        try {
          polled = consumer.poll(Duration.ofMillis(200));
        } catch (WakeupException e) {
          continue;
        }
        if (!polled.isEmpty()) {
          dispatch(polled);
        }
      }
    } catch (RuntimeException e) {
      LOG.error("The live feed stopped", e);
    } finally {
      if (consumer != null) {
        closeConsumer(assigned);
      }
    }
  }

  /** Assigns exactly the partitions of the wanted topics; new ones start at their end (or beginning if added later). */
  private void reassign(Map<TopicPartition, Boolean> assigned) {
    Set<TopicPartition> target = new HashSet<>();
    Set<String> topics = new HashSet<>(wanted.keySet());
    for (String topic : topics) {
      List<PartitionInfo> infos;
      try {
        infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
      } catch (WakeupException e) {
        throw e;
      } catch (RuntimeException e) {
        LOG.warn("No partitions for topic {}: {}", topic, e.getMessage());
        continue;
      }
      if (infos != null) {
        infos.forEach(i -> target.add(new TopicPartition(topic, i.partition())));
      }
    }
    Set<TopicPartition> removed = new HashSet<>(assigned.keySet());
    removed.removeAll(target);
    Set<TopicPartition> added = new HashSet<>(target);
    added.removeAll(assigned.keySet());
    if (!added.isEmpty() || !removed.isEmpty()) {
      consumer.assign(target);
      Set<String> knownTopics = new HashSet<>();
      assigned.keySet().forEach(tp -> knownTopics.add(tp.topic()));
      List<TopicPartition> toEnd = new ArrayList<>();
      List<TopicPartition> toBeginning = new ArrayList<>();
      for (TopicPartition tp : added) {
        // A partition of a topic already read was added to it: every record in it is new.
        (knownTopics.contains(tp.topic()) ? toBeginning : toEnd).add(tp);
      }
      // An empty list would mean "every assigned partition" to Kafka: only seek what was added.
      if (!toEnd.isEmpty()) {
        consumer.seekToEnd(toEnd);
      }
      if (!toBeginning.isEmpty()) {
        consumer.seekToBeginning(toBeginning);
      }
      removed.forEach(assigned::remove);
      if (!removed.isEmpty()) {
        broadcast(sink -> sink.partitionsStopped(removed));
      }
      for (TopicPartition tp : added) {
        long position = consumer.position(tp, Duration.ofSeconds(10));
        assigned.put(tp, Boolean.TRUE);
        broadcast(sink -> sink.partitionStarted(tp, position));
      }
    }
    applyPauses(target);
  }

  /** Pauses the partitions of topics no subscriber can take more of, resumes the others; both are cheap. */
  private void applyPauses(Set<TopicPartition> assignedNow) {
    List<TopicPartition> pause = new ArrayList<>();
    List<TopicPartition> resume = new ArrayList<>();
    for (TopicPartition tp : assignedNow) {
      (pausedTopics.contains(tp.topic()) ? pause : resume).add(tp);
    }
    consumer.pause(pause);
    consumer.resume(resume);
    pausedPartitions.set(pause.size());
  }

  private void dispatch(ConsumerRecords<byte[], byte[]> polled) {
    polled.partitions().forEach(tp -> read.of(tp.topic()).increment(polled.records(tp).size()));
    List<FeedRecord> batch = new ArrayList<>(polled.count());
    for (ConsumerRecord<byte[], byte[]> r : polled) {
      batch.add(new FeedRecord(r, RecordEncoder.encode(r, "record"), filterEvaluations));
    }
    List<FeedRecord> shared = List.copyOf(batch);
    Semaphore taken = new Semaphore(0);
    List<Registered> targets = List.copyOf(sinks);
    for (Registered s : targets) {
      s.context().runOnContext(v -> {
        try {
          s.sink().records(shared, taken::release);
        } catch (RuntimeException e) {
          LOG.error("A sink failed on a batch", e);
          taken.release();
        }
      });
    }
    // Backpressure: the next poll waits until every event loop has taken this batch.
    try {
      while (running && !taken.tryAcquire(targets.size(), 100, TimeUnit.MILLISECONDS)) {
        // keep waiting while running
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void broadcast(java.util.function.Consumer<Sink> call) {
    for (Registered s : sinks) {
      s.context().runOnContext(v -> call.accept(s.sink()));
    }
  }

  private void closeConsumer(Map<TopicPartition, Boolean> assigned) {
    if (!assigned.isEmpty()) {
      Set<TopicPartition> all = new HashSet<>(assigned.keySet());
      broadcast(sink -> sink.partitionsStopped(all));
    }
    assigned.clear();
    pausedPartitions.set(0);
    try {
      consumer.close(Duration.ofSeconds(2));
    } catch (RuntimeException e) {
      LOG.debug("Closing the feed consumer: {}", e.getMessage());
    }
    consumer = null;
    consuming = false;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    Consumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
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
