package io.tidegate.stream.group;

import io.tidegate.kafka.KafkaClients;

import io.tidegate.error.ApiError;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RetriableCommitFailedException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
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
 * the client's context. The consumer is touched only by that thread: commits are queued to it, checked there
 * against what the member owns at that moment, and a partition taken away in a rebalance can no longer be
 * committed by this member, so each record is committed by one member only.
 */
public final class GroupMember {
  private static final Logger LOG = LoggerFactory.getLogger(GroupMember.class);

  /** What the client learns, always on its context. */
  public interface Listener {
    /** The member joined the group (its first assignment, possibly empty). */
    void joined();

    void assigned(Collection<TopicPartition> partitions);

    void revoked(Collection<TopicPartition> partitions);

    /** A batch, in offset order per partition; call {@code taken} once it is written. */
    void records(List<ConsumerRecord<byte[], byte[]>> batch, Runnable taken);

    /** The member stopped on an error; it left the group. */
    void failed(Throwable cause);
  }

  private final KafkaClients clients;
  private final String group;
  private final List<String> topics;
  private final String reset;
  private final Context context;
  private final Listener listener;
  private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
  private final Promise<Void> stopped;
  private volatile boolean running = true;
  private volatile boolean congested;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private Thread thread;

  // member thread only
  private final Set<TopicPartition> owned = new HashSet<>();
  private final Map<TopicPartition, Long> handedOut = new HashMap<>();
  private final Map<TopicPartition, Long> committed = new HashMap<>();
  private boolean paused;
  private boolean joined;

  public GroupMember(KafkaClients clients, String group, List<String> topics, String reset, Context context, Listener listener) {
    this.clients = clients;
    this.group = group;
    this.topics = List.copyOf(topics);
    this.reset = reset;
    this.context = context;
    this.listener = listener;
    this.stopped = ((io.vertx.core.internal.ContextInternal) context).promise();
  }

  public String group() {
    return group;
  }

  public List<String> topics() {
    return topics;
  }

  public void start(String name) {
    thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Commits the record at {@code offset} and every earlier one of the partition. Refused when the partition is
   * not this member's now (409: it was reassigned, its new owner gets the uncommitted records), when the record
   * was not delivered to this member (400), or when it is already committed (409). Completes on the context.
   */
  public Future<Void> commit(TopicPartition tp, long offset) {
    Promise<Void> done = ((io.vertx.core.internal.ContextInternal) context).promise(); // completes on the context
    commands.add(() -> commitNow(tp, offset, done));
    // no wakeup: waking the consumer in every poll would keep a rebalance from ever completing; the loop polls
    // in short steps and runs queued commits between them
    return done.future();
  }

  /** A partition's commits: one request to Kafka at a time, each for the highest offset asked so far. */
  private static final class Commits {
    /** The offset (next to read) that the client asked to commit up to. */
    long target = -1;
    boolean inFlight;
    /** While a rebalance settles, a refused commit is sent again until then (nanoTime); 0 when none failed. */
    long retryUntil;
    final List<Map.Entry<Long, Promise<Void>>> waiting = new ArrayList<>();
  }

  private final Map<TopicPartition, Commits> commits = new HashMap<>();

  /**
   * On the member thread: checks the commit against what the member owns now, then asks Kafka. Commits of a
   * partition are sent one at a time, each for the highest offset asked so far, so the committed offset never
   * goes back; a commit answers once Kafka took one that covers it.
   */
  private void commitNow(TopicPartition tp, long offset, Promise<Void> done) {
    if (!owned.contains(tp)) {
      done.tryFail(notOwned(tp));
      return;
    }
    Long next = handedOut.get(tp);
    if (next == null || offset >= next) {
      done.tryFail(ApiError.badRequest("offset " + offset + " of partition " + tp.partition() + " of '" + tp.topic()
          + "' was not delivered to this member"));
      return;
    }
    Long already = committed.get(tp);
    Commits c = commits.computeIfAbsent(tp, k -> new Commits());
    if (already != null && offset < already) {
      done.tryFail(ApiError.conflict("offset " + offset + " of partition " + tp.partition() + " of '" + tp.topic()
          + "' is already committed"));
      return;
    }
    c.waiting.add(Map.entry(offset, done));
    c.target = Math.max(c.target, offset + 1);
    if (!c.inFlight) {
      send(tp, c);
    }
  }

  private void send(TopicPartition tp, Commits c) {
    long target = c.target;
    c.inFlight = true;
    consumer.commitAsync(Map.of(tp, new OffsetAndMetadata(target)), (offsets, e) -> {
      c.inFlight = false;
      if (e == null) {
        c.retryUntil = 0;
        committed.merge(tp, target, Math::max);
        c.waiting.removeIf(w -> {
          if (w.getKey() < target) {
            w.getValue().tryComplete();
            return true;
          }
          return false;
        });
        if (!c.waiting.isEmpty()) {
          if (owned.contains(tp)) {
            send(tp, c);
          } else {
            failAll(tp, notOwned(tp));
          }
        }
      } else if (e instanceof RebalanceInProgressException && running && retrying(c)) {
        // the group is rebalancing: once it settles, the commit goes through if the partition is still ours
        commands.add(() -> {
          if (!owned.contains(tp)) {
            failAll(tp, notOwned(tp));
          } else if (!c.inFlight) {
            send(tp, c);
          }
        });
      } else if (e instanceof RetriableCommitFailedException || e instanceof RebalanceInProgressException) {
        failAll(tp, ApiError.unavailable("Kafka did not take the commit (" + e.getMessage() + "); retry it", 1));
      } else {
        failAll(tp, ApiError.conflict("the commit was refused (" + e.getMessage() + "): the record will be "
            + "redelivered to the partition's owner"));
      }
    });
  }

  private void failAll(TopicPartition tp, ApiError e) {
    Commits c = commits.remove(tp);
    if (c != null) {
      c.waiting.forEach(w -> w.getValue().tryFail(e));
    }
  }

  private static ApiError notOwned(TopicPartition tp) {
    return ApiError.conflict("partition " + tp.partition() + " of '" + tp.topic() + "' is not assigned to this "
        + "member (any more): its uncommitted records go to its current owner");
  }

  /** True while a commit refused for a rebalance may still be retried: for up to {@link #COMMIT_RETRY_NANOS}. */
  private static boolean retrying(Commits c) {
    long now = System.nanoTime();
    if (c.retryUntil == 0) {
      c.retryUntil = now + COMMIT_RETRY_NANOS;
    }
    return now - c.retryUntil < 0;
  }

  private static final long COMMIT_RETRY_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final Duration POLL = Duration.ofMillis(50);

  /** Past half its budget the client is congested: the member stops fetching until it drains. */
  public void congested(boolean now) {
    congested = now;
    wakeup();
  }

  /** Leaves the group (its partitions go to the other members, from the last commit). */
  public Future<Void> close() {
    running = false;
    wakeup();
    return stopped.future();
  }

  private void wakeup() {
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  private void run() {
    Throwable failure = null;
    try {
      consumer = clients.groupConsumer(group, reset);
      consumer.subscribe(topics, new Rebalance());
      while (running) {
        Runnable c;
        while ((c = commands.poll()) != null) {
          c.run();
        }
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
    } catch (RuntimeException e) {
      failure = e;
      LOG.warn("Group member of '{}' stopped: {}", group, e.toString());
    } finally {
      if (consumer != null) {
        try {
          consumer.close(Duration.ofSeconds(5)); // leaves the group at once: a rebalance, not a session timeout
        } catch (RuntimeException e) {
          LOG.debug("Closing a group member: {}", e.toString());
        }
      }
      owned.clear();
      Runnable c;
      while ((c = commands.poll()) != null) {
        c.run(); // commits still queued: the member no longer owns anything, so each is refused
      }
      for (TopicPartition tp : List.copyOf(commits.keySet())) {
        failAll(tp, notOwned(tp));
      }
      Throwable f = failure;
      context.runOnContext(v -> {
        if (f != null) {
          listener.failed(f);
        }
        stopped.tryComplete();
      });
    }
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
      handedOut.put(tp, of.get(of.size() - 1).offset() + 1);
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
      for (TopicPartition tp : added) {
        owned.add(tp);
        handedOut.remove(tp);
        committed.remove(tp);
        try {
          committed.put(tp, consumer.position(tp));
        } catch (RuntimeException e) {
          LOG.debug("No position for {} yet: {}", tp, e.toString());
        }
      }
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
      lost.forEach(tp -> {
        owned.remove(tp);
        handedOut.remove(tp);
        committed.remove(tp);
        Commits c = commits.get(tp);
        if (c != null && !c.inFlight) {
          failAll(tp, notOwned(tp)); // one in flight answers when Kafka does: it may have been taken before the move
        }
      });
      if (!lost.isEmpty()) {
        context.runOnContext(v -> listener.revoked(lost));
      }
    }
  }
}
