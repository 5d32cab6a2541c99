package io.tidegate.webhook;

import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * One partition's records on their way to a receiver: which offsets are not finished yet (delivered or
 * dead-lettered), and per key the records waiting behind the one being sent, so that a key's records go out in
 * offset order while other keys go on. Records without a key have no order to keep: each goes out at once.
 * What may be committed is the lowest unfinished offset, or the offset after the last record when all are done.
 */
final class PartitionLedger {
  private final TreeSet<Long> pending = new TreeSet<>();
  /** Finished records above the lowest unfinished one: not committable yet, so sent again after a hand-over. */
  private final TreeSet<Long> ahead = new TreeSet<>();
  private final Map<ByteBuffer, ArrayDeque<Job>> byKey = new HashMap<>();
  private long next = -1;
  private long committed = -1;
  /** The first offset this member took of the partition (where its commits start from). */
  private long first = -1;
  private boolean revoked;

  /** A record and how many times it was tried. */
  static final class Job {
    final KafkaConsumerRecord<byte[], byte[]> record;
    final PartitionLedger ledger;
    int attempts;
    byte[] body;

    Job(KafkaConsumerRecord<byte[], byte[]> record, PartitionLedger ledger) {
      this.record = record;
      this.ledger = ledger;
    }

    String id() {
      return record.topic() + "-" + record.partition() + "-" + record.offset();
    }
  }

  /** Takes a record; true when it may be sent now (no earlier record of its key is unfinished). */
  boolean add(Job job) {
    long offset = job.record.offset();
    if (first < 0) {
      first = offset;
    }
    pending.add(offset);
    next = Math.max(next, offset + 1);
    byte[] key = job.record.key();
    if (key == null) {
      return true;
    }
    ArrayDeque<Job> queue = byKey.computeIfAbsent(ByteBuffer.wrap(key), k -> new ArrayDeque<>());
    queue.add(job);
    return queue.size() == 1;
  }

  /** A record the webhook's filter leaves out: nothing to send, but its offset may be committed past. */
  void skip(long offset) {
    if (first < 0) {
      first = offset;
    }
    next = Math.max(next, offset + 1);
  }

  /** Marks the record finished; answers the next record of its key to send, or null. */
  Job done(Job job) {
    pending.remove(job.record.offset());
    ahead.add(job.record.offset());
    long low = pending.isEmpty() ? Long.MAX_VALUE : pending.first();
    while (!ahead.isEmpty() && ahead.first() < low) {
      ahead.pollFirst();
    }
    byte[] key = job.record.key();
    if (key == null) {
      return null;
    }
    ByteBuffer k = ByteBuffer.wrap(key);
    ArrayDeque<Job> queue = byKey.get(k);
    if (queue == null) {
      return null;
    }
    queue.poll();
    if (queue.isEmpty()) {
      byKey.remove(k);
      return null;
    }
    return queue.peek();
  }

  /** The offset to commit, or -1 when there is nothing new to commit. */
  long toCommit() {
    long c = pending.isEmpty() ? next : pending.first();
    return c > committed ? c : -1;
  }

  void committed(long offset) {
    committed = Math.max(committed, offset);
  }

  /** Unfinished records (sent, waiting to retry, or queued behind their key). */
  int unfinished() {
    return pending.size();
  }

  /** Records finished past the lowest unfinished one (bounded by the delivery, which pauses at its limit). */
  int ahead() {
    return ahead.size();
  }

  /**
   * How many records the next owner of the partition may send again: every offset from the last one committed
   * (or the first taken) to the last one taken, finished or not.
   */
  long exposed() {
    long from = committed >= 0 ? committed : first;
    return from < 0 ? 0 : Math.max(0, next - from);
  }

  /** The partition went to another member: what is still in flight here is given up (see {@link #exposed}). */
  long revoke() {
    revoked = true;
    long n = exposed();
    ahead.clear();
    pending.clear();
    byKey.clear();
    return n;
  }

  boolean revoked() {
    return revoked;
  }
}
