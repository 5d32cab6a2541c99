package io.tidegate.stream;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * One event loop's share of the live feed: the sockets of this loop by topic, and the next offset the feed
 * will deliver here for each partition. Runs only on its event loop, so it needs no locks.
 */
public final class Fanout implements LiveFeed.Sink {
  /** About a millisecond or two of writes: a busy machine stretches a slice, so it must be short. */
  private static final int WRITES_PER_SLICE = 1024;
  /** Frames per socket per pass: the most Netty's flush consolidation holds back (see WsEndpoint). */
  private static final int FRAMES_PER_PASS = 16;
  /**
   * Of a pass's sockets, the first and then one in this many have their delivery latency measured: recording it
   * costs a clock read and a histogram shared by the loops, per socket and pass, for the same distribution.
   */
  private static final int LATENCY_EVERY = 16;
  private int sinceMeasured;

  private final io.vertx.core.Context context;

  public Fanout(io.vertx.core.Context context, LiveFeed feed) {
    this(context, feed, 0, null);
  }

  /**
   * {@code tailBytes}: the bound of this loop's {@link FeedTail} (0: none, every catch-up reads Kafka), whose
   * size is added to {@code tailGauge} (may be null).
   */
  public Fanout(io.vertx.core.Context context, LiveFeed feed, long tailBytes,
      java.util.concurrent.atomic.LongAdder tailGauge) {
    this.context = context;
    this.feed = feed;
    this.tail = new FeedTail(tailBytes, tailGauge);
  }

  private final FeedTail tail;

  /** The recent records delivered on this loop, from which subscriptions catch up when they can. */
  FeedTail tail() {
    return tail;
  }

  /** True when this loop's tail holds every record of the partition from {@code offset} up to the feed's position. */
  boolean inTail(TopicPartition tp, long offset) {
    Long live = liveNext.get(tp);
    return live != null && offset <= live && tail.covers(tp, offset);
  }

  private final Map<TopicPartition, Long> liveNext = new HashMap<>();
  /**
   * The sockets of each topic, and a snapshot array of them that delivery iterates (without allocating, and
   * unaffected by sockets that close or subscribe as it goes). A change only drops the snapshot; the next use
   * takes a new one, so a storm of subscribes costs one copy per batch, not one copy of every socket per subscribe.
   */
  private final Map<String, Set<StreamClient>> byTopic = new HashMap<>();
  private final Map<String, StreamClient[]> snapshots = new HashMap<>();
  private static final StreamClient[] NONE = new StreamClient[0];

  private final LiveFeed feed;
  /** Per topic: [subscribers here, of which congested]. */
  private final Map<String, int[]> load = new HashMap<>();
  /** Topics with at least one subscriber here that is not congested. */
  private final Set<String> ready = new java.util.HashSet<>();

  void register(String topic, StreamClient session) {
    Set<StreamClient> set = byTopic.computeIfAbsent(topic, t -> new LinkedHashSet<>());
    if (set.add(session)) {
      snapshots.remove(topic);
      int[] l = load.computeIfAbsent(topic, t -> new int[2]);
      l[0]++;
      l[1] += session.congested() ? 1 : 0;
      updateReady(topic);
    }
  }

  void unregister(String topic, StreamClient session) {
    Set<StreamClient> set = byTopic.get(topic);
    if (set == null) {
      return;
    }
    if (set.remove(session)) {
      snapshots.remove(topic);
      int[] l = load.get(topic);
      l[0]--;
      l[1] -= session.congested() ? 1 : 0;
      if (l[0] == 0) {
        load.remove(topic);
      }
      updateReady(topic);
    }
    if (set.isEmpty()) {
      byTopic.remove(topic);
    }
  }

  /** A session's queue crossed half its budget (or drained): counts for each of its topics. */
  void congestion(StreamClient session, Set<String> topics, boolean congested) {
    for (String topic : topics) {
      int[] l = load.get(topic);
      if (l != null) {
        l[1] += congested ? 1 : -1;
        updateReady(topic);
      }
    }
  }

  /** Tells the feed when this loop no longer has (or has again) a subscriber of the topic that can take more. */
  private void updateReady(String topic) {
    int[] l = load.get(topic);
    boolean now = l != null && l[0] > l[1];
    if (now ? ready.add(topic) : ready.remove(topic)) {
      feed.congestion(topic, this, !now);
    }
  }

  /** The next offset the live feed will deliver on this loop, or null while the partition is not read. */
  Long liveNext(TopicPartition tp) {
    return liveNext.get(tp);
  }

  Map<Integer, Long> livePositions(String topic) {
    Map<Integer, Long> out = new HashMap<>();
    liveNext.forEach((tp, o) -> {
      if (tp.topic().equals(topic)) {
        out.put(tp.partition(), o);
      }
    });
    return out;
  }

  @Override
  public void partitionStarted(TopicPartition tp, long offset) {
    liveNext.put(tp, offset);
    tail.started(tp, offset);
    for (StreamClient s : sessions(tp.topic())) {
      s.partitionStarted(tp, offset);
    }
  }

  @Override
  public void partitionsStopped(Set<TopicPartition> tps) {
    for (TopicPartition tp : tps) {
      liveNext.remove(tp);
      tail.stopped(tp);
    }
  }

  /**
   * Delivery of the partition jumps ahead (the log lost the feed's position, or this loop stalled and missed
   * batches): subscribers riding the feed hear a {@code reset}; those reading the past read on to the new position.
   */
  @Override
  public void partitionReset(TopicPartition tp, long requested, long offset) {
    Long now = liveNext.get(tp);
    if (now == null || now == offset) {
      return;
    }
    liveNext.put(tp, offset);
    tail.jumped(tp, offset);
    for (StreamClient s : sessions(tp.topic())) {
      try {
        s.partitionReset(tp, offset);
      } catch (RuntimeException e) {
        feed.sinkFailed(e);
      }
    }
  }

  /** One topic's records of a batch, and the sockets subscribed to it when the batch arrived. */
  private record Work(StreamClient[] sessions, List<FeedRecord> records) {}

  /**
   * Writes the batch to this loop's sockets, socket by socket: each socket gets all its records of the batch
   * in one go, so that their frames leave in one flush. Works in slices of about {@link #WRITES_PER_SLICE}
   * socket writes, yielding the event loop between slices so that a large batch to many sockets never holds
   * it for long.
   *
   * <p>The live position moves past the whole batch before delivery starts: a socket that subscribes while
   * the batch is being written starts after it, and a catch-up read that reaches the position reads the
   * batch itself.
   */
  @Override
  public void records(List<FeedRecord> batch, Runnable taken) {
    Map<String, List<FeedRecord>> byTopicRecords = new java.util.LinkedHashMap<>();
    long oldest = Long.MAX_VALUE;
    for (FeedRecord r : batch) {
      oldest = Math.min(oldest, r.record().timestamp());
      byTopicRecords.computeIfAbsent(r.topic(), t -> new java.util.ArrayList<>()).add(r);
      TopicPartition tp = new TopicPartition(r.topic(), r.partition());
      tail.add(tp, r);
      liveNext.put(tp, r.offset() + 1);
    }
    feed.latency().dispatched(oldest);
    List<Work> work = new java.util.ArrayList<>();
    byTopicRecords.forEach((topic, records) -> {
      StreamClient[] targets = sessions(topic);
      if (targets.length > 0) {
        work.add(new Work(targets, records));
      }
    });
    deliver(work, 0, 0, 0, taken);
  }

  /**
   * Writes in passes: each pass gives every socket up to {@link #FRAMES_PER_PASS} frames of the topic (one
   * flush), then yields, so the frames reach the kernel and the clients drain before the next pass. A large
   * batch thus reaches a reading socket as a stream, not as one burst counted against its budget.
   */
  private void deliver(List<Work> work, int fromWork, int fromRecord, int fromSession, Runnable taken) {
    int writes = 0;
    int w = fromWork;
    int from = fromRecord;
    int s = fromSession;
    while (w < work.size()) {
      Work k = work.get(w);
      int to = Math.min(from + FRAMES_PER_PASS, k.records().size());
      List<FeedRecord> pass = k.records().subList(from, to);
      while (s < k.sessions().length) {
        try {
          boolean measure = s == 0 || ++sinceMeasured == LATENCY_EVERY;
          if (measure) {
            sinceMeasured = 0;
          }
          k.sessions()[s++].deliverLive(pass, measure);
        } catch (RuntimeException e) {
          feed.sinkFailed(e); // one subscriber's failure is not every subscriber's
        }
        writes += pass.size();
        if (writes >= WRITES_PER_SLICE && s < k.sessions().length) {
          int nw = w;
          int nf = from;
          int ns = s;
          context.runOnContext(v -> deliver(work, nw, nf, ns, taken));
          return;
        }
      }
      s = 0;
      if (to < k.records().size()) {
        int nw = w;
        int nf = to;
        context.runOnContext(v -> deliver(work, nw, nf, 0, taken));
        return;
      }
      w++;
      from = 0;
    }
    taken.run();
  }

  private StreamClient[] sessions(String topic) {
    StreamClient[] snapshot = snapshots.get(topic);
    if (snapshot == null) {
      Set<StreamClient> set = byTopic.get(topic);
      if (set == null) {
        return NONE;
      }
      snapshot = set.toArray(NONE);
      snapshots.put(topic, snapshot);
    }
    return snapshot;
  }
}
