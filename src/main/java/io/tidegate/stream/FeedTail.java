package io.tidegate.stream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * The recent past of the live feed on one event loop: per partition, the last records the feed delivered here,
 * in offset order, with their frames. The records are the feed's own (shared by every loop, encoded once), so a
 * loop's tail costs the references; the bound counts the records' estimated bytes, {@code maxBytes} for all
 * partitions together, and the oldest record goes first when a new one does not fit.
 *
 * <p>A subscription whose position lies within the tail catches up from memory ({@link CatchUpDelivery}):
 * clients that come back at once (a reconnect storm, a rolled load balancer) cost Kafka nothing and each record
 * is encoded once for all of them. A partition's tail is contiguous: it holds every record the feed read from
 * {@link #covers its start} up to the live position; a jump in delivery (a reset) or a restart empties it.
 * Runs only on its event loop, like the {@link Fanout} that owns it.
 */
final class FeedTail {
  /** Bytes counted per record besides its key, value and frame: the record, its headers, the references. */
  private static final int OVERHEAD = 256;

  /** One partition's records, oldest first, and the first offset it covers. */
  private static final class Part {
    final ArrayList<FeedRecord> records = new ArrayList<>();
    /** Index of the oldest record kept: evicted ones are cut off in chunks, not one by one. */
    int head;
    long from;

    Part(long from) {
      this.from = from;
    }

    int size() {
      return records.size() - head;
    }

    void evictOldest() {
      FeedRecord r = records.set(head++, null);
      from = r.offset() + 1;
      if (head >= 1024 && head * 2 >= records.size()) {
        records.subList(0, head).clear();
        head = 0;
      }
    }
  }

  private final long maxBytes;
  private final Map<TopicPartition, Part> parts = new HashMap<>();
  /** Every record kept, in the order it arrived: the oldest is evicted first, whatever its partition. */
  private final ArrayDeque<FeedRecord> order = new ArrayDeque<>();
  private long bytes;
  /** The gateway's sum of every loop's bytes (a gauge), or null. */
  private final java.util.concurrent.atomic.LongAdder total;

  FeedTail(long maxBytes, java.util.concurrent.atomic.LongAdder total) {
    this.maxBytes = maxBytes;
    this.total = total;
  }

  /** The feed starts reading the partition at {@code offset}: its tail starts there, empty. */
  void started(TopicPartition tp, long offset) {
    drop(tp);
    if (maxBytes > 0) {
      parts.put(tp, new Part(offset));
    }
  }

  /** The feed no longer reads the partition. */
  void stopped(TopicPartition tp) {
    drop(tp);
  }

  /** Delivery of the partition jumped to {@code offset}: what came before is no longer contiguous with it. */
  void jumped(TopicPartition tp, long offset) {
    started(tp, offset);
  }

  /** A record the feed delivered on this loop ({@code tp} its partition); the oldest records go while the tail is over its bound. */
  void add(TopicPartition tp, FeedRecord r) {
    if (maxBytes <= 0) {
      return;
    }
    Part p = parts.computeIfAbsent(tp, t -> new Part(r.offset()));
    p.records.add(r);
    order.addLast(r);
    long before = bytes;
    bytes += size(r);
    while (bytes > maxBytes && !order.isEmpty()) {
      FeedRecord old = order.pollFirst();
      bytes -= size(old);
      Part q = parts.get(new TopicPartition(old.topic(), old.partition()));
      q.evictOldest();
    }
    counted(before);
  }

  /** True when the tail holds every record the feed read on the partition from {@code offset} on. */
  boolean covers(TopicPartition tp, long offset) {
    Part p = parts.get(tp);
    return p != null && offset >= p.from;
  }

  /** Up to {@code max} records of the partition at or after {@code offset}, oldest first (empty at the end). */
  List<FeedRecord> from(TopicPartition tp, long offset, int max) {
    Part p = parts.get(tp);
    if (p == null) {
      return List.of();
    }
    int lo = p.head;
    int hi = p.records.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (p.records.get(mid).offset() < offset) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return List.copyOf(p.records.subList(lo, Math.min(p.records.size(), lo + max)));
  }

  /** Estimated bytes held (the bound's measure). */
  long bytes() {
    return bytes;
  }

  /** Records held, all partitions together. */
  int records() {
    return order.size();
  }

  private void drop(TopicPartition tp) {
    Part p = parts.remove(tp);
    if (p != null && p.size() > 0) {
      long before = bytes;
      order.removeIf(r -> r.partition() == tp.partition() && r.topic().equals(tp.topic()));
      for (int i = p.head; i < p.records.size(); i++) {
        bytes -= size(p.records.get(i));
      }
      counted(before);
    }
  }

  private void counted(long before) {
    if (total != null && bytes != before) {
      total.add(bytes - before);
    }
  }

  private static long size(FeedRecord r) {
    byte[] key = r.record().key();
    byte[] value = r.record().value();
    // the frame twice: its bytes, and the WebSocket frame made from them in direct memory (FeedRecord#wsFrame)
    return 2L * r.frame().length + (key == null ? 0 : key.length) + (value == null ? 0 : value.length) + OVERHEAD;
  }
}
