package io.tidegate.stream;

import io.tidegate.codec.RecordFilter;

/** One topic a socket subscribed to, and where it stands on each partition. Used on the socket's event loop only. */
public final class Subscription {
  public final String id;
  public final String topic;
  public final RecordFilter filter;
  /** The next offset to deliver, per partition. */
  public final Positions next = new Positions();
  /** Partitions that start later start at the live position. */
  final boolean latest;
  /** The client fell a budget behind the live feed: no live record is taken until it has caught up from Kafka. */
  boolean behind;
  /** Set while the subscription reads the past from Kafka; null once it rides the live feed. */
  CatchUpReader catchUp;
  /** True while the subscription reads the past from its loop's {@link FeedTail}. */
  boolean tail;
  /** For {@code latest} before the feed stands on every partition: completed once it does. */
  io.vertx.core.Promise<Void> positioned;
  int partitions;

  /** The topic's name as bytes, for SSE cursors. */
  public final byte[] topicBytes;

  /** True while the subscription takes no live record: it reads the past (from Kafka or the tail), or waits to. */
  boolean offFeed() {
    return catchUp != null || behind || tail;
  }

  public Subscription(String id, String topic, RecordFilter filter, boolean latest) {
    this.id = id;
    this.topic = topic.intern(); // as FeedRecord's: the lookups of every live delivery match it by identity
    this.topicBytes = topic.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    this.filter = filter;
    this.latest = latest;
  }
}
