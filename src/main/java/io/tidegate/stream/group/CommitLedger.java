package io.tidegate.stream.group;

import io.tidegate.error.ApiError;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RetriableCommitFailedException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a group member owns and what it may commit; used on the member's thread only. A commit is checked
 * against the partitions the member owns at that moment and the records handed to it; a partition taken away
 * in a rebalance can no longer be committed by this member, so each record is committed by one member only.
 *
 * <p>Commits of a partition go to Kafka one at a time, each for the highest offset asked so far, so the
 * committed offset never goes back; a commit is answered once Kafka took one that covers it. A commit refused
 * because the group is rebalancing is sent again once it settles, if the partition is still this member's.
 */
final class CommitLedger {
  private static final Logger LOG = LoggerFactory.getLogger(CommitLedger.class);
  /** How long a commit refused for a rebalance is sent again. */
  static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(30);

  /** The answer to one commit: {@code null} when Kafka took it, else why not. */
  interface Answer {
    void answer(ApiError refusal);
  }

  private final Consumer<byte[], byte[]> consumer;
  private final LongSupplier nanoTime;
  private final Set<TopicPartition> owned = new HashSet<>();
  /** Per partition, the offset after the last record handed to the client. */
  private final Map<TopicPartition, Long> handedOut = new HashMap<>();
  /** Per partition, the committed offset (the next to read) as far as this member knows. */
  private final Map<TopicPartition, Long> committed = new HashMap<>();
  private final Map<TopicPartition, Commits> commits = new HashMap<>();
  /** Commits to send again once the group settles; run between polls. */
  private final Queue<Runnable> retries = new ArrayDeque<>();

  /** A partition's commits: one request to Kafka at a time, each for the highest offset asked so far. */
  private static final class Commits {
    /** The offset (next to read) that the client asked to commit up to. */
    long target = -1;
    boolean inFlight;
    /** While a rebalance settles, a refused commit is sent again until then (nanoTime); 0 when none failed. */
    long retryUntil;
    final List<Map.Entry<Long, Answer>> waiting = new ArrayList<>();
  }

  CommitLedger(Consumer<byte[], byte[]> consumer, LongSupplier nanoTime) {
    this.consumer = consumer;
    this.nanoTime = nanoTime;
  }

  boolean owns(TopicPartition tp) {
    return owned.contains(tp);
  }

  /** Partitions given to this member: it may commit what it is handed from them, starting at their position. */
  void assigned(Collection<TopicPartition> partitions) {
    for (TopicPartition tp : partitions) {
      owned.add(tp);
      handedOut.remove(tp);
      committed.remove(tp);
      try {
        committed.put(tp, consumer.position(tp));
      } catch (RuntimeException e) {
        LOG.debug("No position for {} yet: {}", tp, e.toString());
      }
    }
  }

  /** Partitions taken away: commits waiting for them are refused (one in flight answers when Kafka does). */
  void lost(Collection<TopicPartition> partitions) {
    for (TopicPartition tp : partitions) {
      owned.remove(tp);
      handedOut.remove(tp);
      committed.remove(tp);
      Commits c = commits.get(tp);
      if (c != null && !c.inFlight) {
        failAll(tp, notOwned(tp));
      }
    }
  }

  /** Records up to {@code lastOffset} of the partition were handed to the client. */
  void handedOut(TopicPartition tp, long lastOffset) {
    handedOut.merge(tp, lastOffset + 1, Math::max);
  }

  /** Commits the record at {@code offset} and every earlier one of its partition, if the member may. */
  void commit(TopicPartition tp, long offset, Answer answer) {
    if (!owned.contains(tp)) {
      answer.answer(notOwned(tp));
      return;
    }
    Long next = handedOut.get(tp);
    if (next == null || offset >= next) {
      answer.answer(ApiError.badRequest("offset " + offset + " of partition " + tp.partition() + " of '" + tp.topic()
          + "' was not delivered to this member"));
      return;
    }
    Long already = committed.get(tp);
    if (already != null && offset < already) {
      answer.answer(ApiError.conflict("offset " + offset + " of partition " + tp.partition() + " of '" + tp.topic()
          + "' is already committed"));
      return;
    }
    Commits c = commits.computeIfAbsent(tp, k -> new Commits());
    c.waiting.add(Map.entry(offset, answer));
    c.target = Math.max(c.target, offset + 1);
    if (!c.inFlight) {
      send(tp, c);
    }
  }

  /** Sends again the commits a rebalance interrupted; call between polls. */
  void retry() {
    Runnable r;
    while ((r = retries.poll()) != null) {
      r.run();
    }
  }

  /**
   * The member is leaving: it owns nothing from now on. A commit in flight is answered when Kafka answers it
   * (closing the consumer waits for that); others are refused then.
   */
  void leaving() {
    owned.clear();
  }

  /** The member is gone: it owns nothing, and every commit still waiting is refused. */
  void close() {
    owned.clear();
    retries.clear();
    for (TopicPartition tp : List.copyOf(commits.keySet())) {
      failAll(tp, notOwned(tp));
    }
  }

  private void send(TopicPartition tp, Commits c) {
    long target = c.target;
    c.inFlight = true;
    consumer.commitAsync(Map.of(tp, new OffsetAndMetadata(target)), (offsets, e) -> {
      c.inFlight = false;
      if (commits.get(tp) != c) {
        return; // answered already (the member closed)
      }
      if (e == null) {
        took(tp, c, target);
      } else if (e instanceof RebalanceInProgressException && retrying(c)) {
        // the group is rebalancing: once it settles, the commit goes through if the partition is still ours
        retries.add(() -> {
          if (commits.get(tp) != c) {
            return;
          }
          if (!owned.contains(tp)) {
            failAll(tp, notOwned(tp));
          } else if (!c.inFlight) {
            send(tp, c);
          }
        });
      } else if (e instanceof RetriableCommitFailedException || e instanceof RebalanceInProgressException) {
        failAll(tp, ApiError.unavailable("Kafka did not take the commit in time; retry it", 1));
      } else {
        LOG.debug("Commit of {} refused: {}", tp, e.toString());
        failAll(tp, ApiError.conflict("the commit was refused: the record will be redelivered to the partition's "
            + "owner"));
      }
    });
  }

  private void took(TopicPartition tp, Commits c, long target) {
    c.retryUntil = 0;
    committed.merge(tp, target, Math::max);
    c.waiting.removeIf(w -> {
      if (w.getKey() < target) {
        w.getValue().answer(null);
        return true;
      }
      return false;
    });
    if (c.waiting.isEmpty()) {
      commits.remove(tp, c);
    } else if (owned.contains(tp)) {
      send(tp, c);
    } else {
      failAll(tp, notOwned(tp));
    }
  }

  private void failAll(TopicPartition tp, ApiError e) {
    Commits c = commits.remove(tp);
    if (c != null) {
      c.waiting.forEach(w -> w.getValue().answer(e));
    }
  }

  static ApiError notOwned(TopicPartition tp) {
    return ApiError.conflict("partition " + tp.partition() + " of '" + tp.topic() + "' is not assigned to this "
        + "member (any more): its uncommitted records go to its current owner");
  }

  /** True while a commit refused for a rebalance may still be sent again: for up to {@link #RETRY_NANOS}. */
  private boolean retrying(Commits c) {
    long now = nanoTime.getAsLong();
    if (c.retryUntil == 0) {
      c.retryUntil = now + RETRY_NANOS;
    }
    return now - c.retryUntil < 0;
  }
}
