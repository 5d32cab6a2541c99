package io.tidegate.stream.group;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client that is a member of a Kafka consumer group: a consumer of its own, subscribed to the group's topics,
 * so that Kafka shares the partitions out among all members, on this gateway and others. Nothing is committed
 * until the client commits a record it received; a member that leaves has its uncommitted records redelivered
 * to the partition's next owner (at least once).
 *
 * <p>Kafka's consumer blocks, so it lives on a thread of its own; everything the client sees is handed back to
 * the client's context. The consumer is touched only by that thread: commits are queued to it (a bounded
 * {@link CommitQueue}) and checked there by the {@link CommitLedger}.
 *
 * <p>{@link #stopped()} completes exactly once, when the member is over: its thread ended (it was closed, or it
 * failed), or it was closed before it started.
 */
public final class GroupMember {
  private static final Logger LOG = LoggerFactory.getLogger(GroupMember.class);
  private static final Duration POLL = Duration.ofMillis(50);

  /** What the client learns, always on its context. */
  public interface Listener {
    /** The member joined the group (its first assignment, possibly empty). */
    void joined();

    void assigned(Collection<TopicPartition> partitions);

    void revoked(Collection<TopicPartition> partitions);

    /** A batch, in offset order per partition; call {@code taken} once it is written. */
    void records(List<ConsumerRecord<byte[], byte[]>> batch, Runnable taken);

    /** The member stopped on an error (it left the group); {@link #stopped()} completes right after. */
    void failed(Throwable cause);
  }

  private final Supplier<Consumer<byte[], byte[]>> consumers;
  private final String group;
  private final List<String> topics;
  private final Context context;
  private final Listener listener;
  private final CommitQueue commits;
  private final Promise<Void> stopped = Promise.promise();
  private volatile boolean running = true;
  private volatile boolean congested;
  private volatile Consumer<byte[], byte[]> consumer;

  // context only
  private Thread thread;
  /** The member is over: its thread ended, or it was closed before it started. */
  private boolean over;

  // member thread only
  private CommitLedger ledger;
  private boolean paused;
  private boolean joined;

  /** @param consumers makes the member's consumer (on the member's thread), configured for the group */
  public GroupMember(Supplier<Consumer<byte[], byte[]>> consumers, String group, List<String> topics, Context context,
      Listener listener) {
    this.consumers = consumers;
    this.group = group;
    this.topics = List.copyOf(topics);
    this.context = context;
    this.listener = listener;
    this.commits = new CommitQueue(context);
  }

  public String group() {
    return group;
  }

  public List<String> topics() {
    return topics;
  }

  /** Completes (on the context) once the member is over and its consumer closed. */
  public Future<Void> stopped() {
    return stopped.future();
  }

  /** Starts the member's thread; on the context. A member closed before it started never starts. */
  public void start(String name) {
    if (!running || thread != null) {
      return;
    }
    thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Commits the record at {@code offset} and every earlier one of the partition (see {@link CommitLedger} for
   * what is refused). Call on the context; completes there.
   */
  public Future<Void> commit(TopicPartition tp, long offset) {
    // no wakeup: waking the consumer in every poll would keep a rebalance from ever completing; the loop polls
    // in short steps and runs queued commits between them
    return running ? commits.ask(tp, offset) : Future.failedFuture(CommitLedger.notOwned(tp));
  }

  /** Past half its budget the client is congested: the member stops fetching until it drains. */
  public void congested(boolean now) {
    congested = now;
    wakeup();
  }

  /** Leaves the group (its partitions go to the other members, from the last commit). On the context. */
  public Future<Void> close() {
    running = false;
    if (over) {
      return stopped.future();
    }
    if (thread == null) {
      over = true; // never started: nothing to leave
      commits.close();
      stopped.tryComplete();
    } else {
      wakeup();
    }
    return stopped.future();
  }

  private void wakeup() {
    Consumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  private void run() {
    Throwable failure = null;
    try {
      consumer = consumers.get();
      ledger = new CommitLedger(consumer, System::nanoTime);
      consumer.subscribe(topics, new Rebalance());
      while (running) {
        commits.drainTo(ledger);
        ledger.retry();
        if (congested != paused) {
          paused = congested;
          if (paused) {
            consumer.pause(consumer.assignment());
          } else {
            consumer.resume(consumer.assignment());
          }
        }
        ConsumerRecords<byte[], byte[]> polled;
        try {
          polled = consumer.poll(POLL);
        } catch (WakeupException e) {
          continue;
        }
        if (!joined && !consumer.assignment().isEmpty()) {
          joined();
        }
        if (!polled.isEmpty()) {
          hand(polled);
        }
      }
    } catch (RuntimeException | Error e) {
      failure = e;
      LOG.warn("Group member of '{}' stopped: {}", group, e.toString());
    } finally {
      end(failure);
    }
  }

  /** The thread's last act: leave the group, refuse what is still asked, and say so on the context. */
  private void end(Throwable failure) {
    boolean interrupted = Thread.interrupted(); // cleared, so that leaving the group is not cut short
    Throwable f = failure == null && interrupted ? new InterruptedException("the member's thread was interrupted")
        : failure;
    if (ledger != null) {
      ledger.leaving();
    }
    Consumer<byte[], byte[]> c = consumer;
    if (c != null) {
      try {
        c.close(Duration.ofSeconds(5)); // leaves the group at once: a rebalance, not a session timeout
      } catch (RuntimeException e) {
        LOG.debug("Closing a group member: {}", e.toString());
      }
    }
    if (ledger != null) {
      ledger.close();
    }
    context.runOnContext(v -> {
      over = true;
      commits.close(); // asked after the thread's last look: it owns nothing now
      if (f != null) {
        listener.failed(f);
      }
      stopped.tryComplete();
    });
  }

  private void joined() {
    joined = true;
    context.runOnContext(v -> listener.joined());
  }

  /** Hands a batch to the client's context and waits until it is written there (the client's budget paces it). */
  private void hand(ConsumerRecords<byte[], byte[]> polled) {
    List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>(polled.count());
    polled.forEach(batch::add);
    for (TopicPartition tp : polled.partitions()) {
      List<ConsumerRecord<byte[], byte[]>> of = polled.records(tp);
      ledger.handedOut(tp, of.get(of.size() - 1).offset());
    }
    Semaphore taken = new Semaphore(0);
    context.runOnContext(v -> listener.records(batch, taken::release));
    try {
      while (running && !taken.tryAcquire(100, TimeUnit.MILLISECONDS)) {
        // the context writes it shortly
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  /** Runs inside poll, on the member thread. */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      lose(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      lose(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      List<TopicPartition> added = List.copyOf(partitions);
      ledger.assigned(added);
      if (paused && !added.isEmpty()) {
        consumer.pause(added);
      }
      if (!joined) {
        joined(); // "subscribed" comes before the first "assigned"
      }
      if (!added.isEmpty()) {
        context.runOnContext(v -> listener.assigned(added));
      }
    }

    private void lose(Collection<TopicPartition> partitions) {
      List<TopicPartition> lost = List.copyOf(partitions);
      ledger.lost(lost);
      if (!lost.isEmpty()) {
        context.runOnContext(v -> listener.revoked(lost));
      }
    }
  }
}
