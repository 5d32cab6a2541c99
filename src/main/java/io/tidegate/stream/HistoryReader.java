package io.tidegate.stream;

import io.tidegate.kafka.KafkaClients;

import io.tidegate.error.ApiError;
import io.tidegate.codec.RecordEncoder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a page of a topic's history with a short-lived, group-less consumer. Kafka's consumer blocks, so
 * reads run on a small named worker pool; at most {@code maxConcurrent} run at once and more answer 503.
 */
public final class HistoryReader implements AutoCloseable {
  static final Comparator<ConsumerRecord<byte[], byte[]>> BY_TIME = Comparator
      .comparingLong((ConsumerRecord<byte[], byte[]> r) -> r.timestamp())
      .thenComparingInt(ConsumerRecord::partition)
      .thenComparingLong(ConsumerRecord::offset);

  private final KafkaClients clients;
  private final WorkerExecutor workers;
  private final int maxConcurrent;
  private final Duration timeout;
  private final AtomicInteger running = new AtomicInteger();

  public HistoryReader(Vertx vertx, KafkaClients clients, int maxConcurrent, Duration timeout) {
    this.clients = clients;
    this.maxConcurrent = maxConcurrent;
    this.timeout = timeout;
    this.workers = vertx.createSharedWorkerExecutor("tidegate-history", Math.min(maxConcurrent, 4),
        timeout.toMillis() * 3, TimeUnit.MILLISECONDS);
  }

  /** A page of the topic; {@code partitions} is the topic's count. */
  public Future<HistoryPage> read(HistoryQuery q, int partitions) {
    if (running.incrementAndGet() > maxConcurrent) {
      running.decrementAndGet();
      return Future.failedFuture(ApiError.overloaded("too many history reads at once; retry shortly"));
    }
    return workers.executeBlocking(() -> readBlocking(q, partitions), false)
        .onComplete(x -> running.decrementAndGet())
        .recover(e -> Future.failedFuture(e instanceof org.apache.kafka.common.errors.TimeoutException
            ? ApiError.timeout("Kafka did not answer in time; retry shortly", 5) : e));
  }

  private HistoryPage readBlocking(HistoryQuery q, int partitions) {
    List<TopicPartition> tps = new ArrayList<>();
    if (q.partition().isPresent()) {
      tps.add(new TopicPartition(q.topic(), q.partition().getAsInt()));
    } else {
      for (int p = 0; p < partitions; p++) {
        tps.add(new TopicPartition(q.topic(), p));
      }
    }
    try (KafkaConsumer<byte[], byte[]> consumer = clients.historyConsumer()) {
      consumer.assign(tps);
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(tps, timeout);
      Map<TopicPartition, Long> end = consumer.endOffsets(tps, timeout);
      Map<TopicPartition, Long> start = startOffsets(consumer, q, tps, begin, end);

      HistoryFetch.Fetched got = HistoryFetch.read(consumer, q, tps, start, end, System.nanoTime() + timeout.toNanos());
      return page(q, tps, start, got);
    }
  }

  private static Map<TopicPartition, Long> startOffsets(KafkaConsumer<byte[], byte[]> consumer, HistoryQuery q,
      List<TopicPartition> tps, Map<TopicPartition, Long> begin, Map<TopicPartition, Long> end) {
    Map<TopicPartition, Long> start = new HashMap<>();
    if (q.offset().isPresent()) {
      TopicPartition tp = tps.get(0);
      start.put(tp, Math.max(begin.get(tp), Math.min(end.get(tp), q.offset().getAsLong())));
      return start;
    }
    Map<TopicPartition, OffsetAndTimestamp> byTime = q.from() == HistoryQuery.From.TIMESTAMP
        ? consumer.offsetsForTimes(toMap(tps, q.timestamp()))
        : Map.of();
    for (TopicPartition tp : tps) {
      long s = switch (q.from()) {
        case EARLIEST -> begin.get(tp);
        // filtered, the newest records that pass may lie further back: the read goes back as far as it may examine
        case LATEST -> q.filter().isAll() ? Math.max(begin.get(tp), end.get(tp) - q.limit()) : begin.get(tp);
        case TIMESTAMP -> byTime.get(tp) == null ? end.get(tp) : byTime.get(tp).offset();
      };
      start.put(tp, s);
    }
    return start;
  }

  /**
   * Merges partitions by time, keeps {@code limit} records (the newest for "latest"), and says where to go on: on
   * each partition after the last record examined, so that records a filter skipped are not examined again.
   */
  private static HistoryPage page(HistoryQuery q, List<TopicPartition> tps, Map<TopicPartition, Long> start,
                             HistoryFetch.Fetched got) {
    List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
    got.got().values().forEach(all::addAll);
    all.sort(BY_TIME);
    if (all.size() > q.limit()) {
      all = q.from() == HistoryQuery.From.LATEST && q.offset().isEmpty()
          ? all.subList(all.size() - q.limit(), all.size())
          : all.subList(0, q.limit());
    }
    java.util.SortedMap<Integer, Long> next = new TreeMap<>();
    for (TopicPartition tp : tps) {
      next.put(tp.partition(), Math.max(start.get(tp), got.examined().getOrDefault(tp, 0L)));
    }
    List<byte[]> records = new ArrayList<>(all.size());
    for (ConsumerRecord<byte[], byte[]> r : all) {
      records.add(RecordEncoder.encode(r, null));
      next.merge(r.partition(), r.offset() + 1, Math::max);
    }
    return new HistoryPage(records, next);
  }

  private static Map<TopicPartition, Long> toMap(List<TopicPartition> tps, long value) {
    Map<TopicPartition, Long> m = new HashMap<>();
    tps.forEach(tp -> m.put(tp, value));
    return m;
  }

  @Override
  public void close() {
    workers.close();
  }
}
