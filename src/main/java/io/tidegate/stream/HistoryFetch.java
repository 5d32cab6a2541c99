package io.tidegate.stream;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads what one page of history needs, and not {@code limit} records of every partition: the partitions are
 * merged by time as they are read, a partition is fetched only when its next record is wanted, and reading
 * stops at {@code limit} records in all. A forward page (earliest, a time, an offset) reads each partition
 * onwards from its start; "latest" reads each partition's tail backwards, in chunks of about
 * {@code limit / partitions} records, taking the newest first.
 *
 * <p>With a filter, records that do not pass it are examined and skipped: a page holds at most {@code limit}
 * records that pass, and examines at most {@link #MAX_EXAMINED} records (and stops at the deadline), so a page
 * may hold fewer records than its limit, or none. What was examined on each partition is reported, so that the
 * page's next offsets stand after it and paging on never examines the same records twice.
 */
final class HistoryFetch {
  private static final Duration POLL = Duration.ofMillis(100);
  /** At most this many records are examined for one filtered page. */
  static final int MAX_EXAMINED = 10_000;
  /** A filtered "latest" page reads tails in chunks of at least this many records per partition (or fewer, with many partitions). */
  private static final int FILTERED_CHUNK = 500;

  /**
   * @param got      the page's records per partition, in offset order
   * @param examined per partition examined, the offset after the last record examined (on the page or skipped)
   */
  record Fetched(Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> got, Map<TopicPartition, Long> examined) {}

  private HistoryFetch() {}

  /** The page's records per partition, in offset order, from {@code start} (inclusive) below {@code end}. */
  static Fetched read(Consumer<byte[], byte[]> consumer,
      HistoryQuery q, List<TopicPartition> tps, Map<TopicPartition, Long> start, Map<TopicPartition, Long> end,
      long deadline) {
    boolean newest = q.from() == HistoryQuery.From.LATEST && q.offset().isEmpty();
    int chunk = newest ? Math.max(1, (q.limit() + tps.size() - 1) / tps.size()) : Integer.MAX_VALUE;
    if (newest && !q.filter().isAll()) {
      chunk = Math.max(chunk, Math.min(FILTERED_CHUNK, Math.max(1, MAX_EXAMINED / tps.size())));
    }
    Map<TopicPartition, Long> examined = new HashMap<>();
    int seen = 0;
    Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> got = new HashMap<>();
    Map<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> fetched = new HashMap<>();
    // forward: the next offset not fetched yet; newest: the lowest offset fetched so far
    Map<TopicPartition, Long> edge = new HashMap<>(newest ? end : start);
    Set<TopicPartition> pending = new HashSet<>();
    for (TopicPartition tp : tps) {
      got.put(tp, new ArrayList<>());
      fetched.put(tp, new ArrayDeque<>());
      if (start.get(tp) < end.get(tp)) {
        pending.add(tp);
        if (!newest) {
          consumer.seek(tp, start.get(tp)); // once: from here on each partition is read onwards
        }
      }
    }
    int taken = 0;
    while (!pending.isEmpty() && taken < q.limit() && seen < MAX_EXAMINED && System.nanoTime() < deadline) {
      List<TopicPartition> wanted = new ArrayList<>();
      for (TopicPartition tp : new ArrayList<>(pending)) {
        if (!fetched.get(tp).isEmpty()) {
          continue;
        }
        if (newest ? edge.get(tp) <= start.get(tp) : edge.get(tp) >= end.get(tp)) {
          pending.remove(tp); // read entirely
        } else {
          wanted.add(tp);
        }
      }
      if (!wanted.isEmpty()) {
        fetch(consumer, tps, wanted, newest, chunk, start, end, edge, fetched, deadline);
        continue;
      }
      TopicPartition next = head(pending, fetched, newest);
      if (next != null) {
        ConsumerRecord<byte[], byte[]> r = newest ? fetched.get(next).pollLast() : fetched.get(next).pollFirst();
        examined.merge(next, r.offset() + 1, Math::max);
        if (q.filter().isAll()) {
          got.get(next).add(r);
          taken++;
        } else {
          seen++;
          if (q.filter().matches(r)) {
            got.get(next).add(r);
            taken++;
          }
        }
      }
    }
    if (newest) {
      got.values().forEach(Collections::reverse);
    }
    return new Fetched(got, examined);
  }

  /** Fetches the next stretch of each wanted partition: onwards from its edge, or the chunk below it. */
  private static void fetch(Consumer<byte[], byte[]> consumer, List<TopicPartition> tps, List<TopicPartition> wanted,
      boolean newest, int chunk, Map<TopicPartition, Long> start, Map<TopicPartition, Long> end,
      Map<TopicPartition, Long> edge, Map<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> fetched,
      long deadline) {
    Map<TopicPartition, Long> upTo = new HashMap<>();
    for (TopicPartition tp : wanted) {
      upTo.put(tp, newest ? edge.get(tp) : end.get(tp));
      if (newest) {
        long from = Math.max(start.get(tp), edge.get(tp) - chunk);
        consumer.seek(tp, from);
        edge.put(tp, from);
      }
    }
    Set<TopicPartition> reading = new HashSet<>(wanted);
    consumer.pause(tps.stream().filter(tp -> !reading.contains(tp)).toList());
    consumer.resume(wanted);
    boolean any = false;
    // forward: one poll's worth is enough to go on merging; newest: the whole chunk, since it is taken from its end
    while (!reading.isEmpty() && !(any && !newest) && System.nanoTime() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        if (reading.contains(tp) && r.offset() < upTo.get(tp)) {
          fetched.get(tp).addLast(r);
          any = true;
        }
      }
      for (TopicPartition tp : new ArrayList<>(reading)) {
        long position = consumer.position(tp);
        if (!newest) {
          edge.put(tp, Math.min(position, end.get(tp)));
        }
        if (position >= upTo.get(tp)) {
          reading.remove(tp);
        }
      }
    }
    consumer.pause(wanted);
  }

  /** The partition whose next record to take is the earliest (forward) or the newest (latest). */
  private static TopicPartition head(Set<TopicPartition> pending,
      Map<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> fetched, boolean newest) {
    TopicPartition best = null;
    ConsumerRecord<byte[], byte[]> bestRecord = null;
    for (TopicPartition tp : pending) {
      ConsumerRecord<byte[], byte[]> r = newest ? fetched.get(tp).peekLast() : fetched.get(tp).peekFirst();
      if (r != null && (bestRecord == null || (newest ? HistoryReader.BY_TIME.compare(r, bestRecord) > 0
          : HistoryReader.BY_TIME.compare(r, bestRecord) < 0))) {
        best = tp;
        bestRecord = r;
      }
    }
    return best;
  }
}
