package io.tidegate.stream;

import io.tidegate.error.ErrorMapper;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Delivers a subscription's past, paced by its client's budget, until it has delivered up to where the live
 * feed stands on this loop; then the subscription rides the feed again, with no gap and no duplicate at the
 * seam. Used for subscriptions that start in the past and for those that fell a budget behind the feed.
 *
 * <p>The past comes from the loop's {@link FeedTail} whenever the tail holds it from the subscription's position
 * on, every partition: the frames are the live feed's, and no Kafka read is made. Otherwise it comes from Kafka
 * ({@link CatchUpReader}), and each such reading subscription holds one of the gateway's catch-up permits; a
 * Kafka read that reaches the tail gives its permit back and reads on from memory. A tail read whose records
 * were evicted meanwhile (the client was slower than the tail is long) reads on from Kafka.
 */
final class CatchUpDelivery {
  /** How soon a subscription that fell behind asks again for a catch-up permit when none was free. */
  private static final long PERMIT_RETRY_MS = 250;
  /** Frames per pass from the tail (as in the live feed's passes), and passes before yielding the event loop. */
  private static final int TAIL_PASS = 16;
  private static final int TAIL_PASSES_PER_TURN = 8;
  private final StreamClient client;
  private final StreamContext c;

  CatchUpDelivery(StreamClient client, StreamContext context) {
    this.client = client;
    this.c = context;
  }

  /** Prepares to read the subscription's past from its positions; false when no catch-up permit is free. */
  boolean begin(Subscription s) {
    if (!c.catchUps().tryAcquire()) {
      return false;
    }
    beginHeld(s);
    return true;
  }

  /** As {@link #begin}, with a catch-up permit the caller already took; {@link #end} gives it back. */
  void beginHeld(Subscription s) {
    s.catchUp = new CatchUpReader(c.clients(), c.catchUpWorkers(), s.topic, s.next);
  }

  /**
   * The client has no room for the subscription's next live record: the subscription stops taking live
   * records, and once the client drained it reads from Kafka from where it stands.
   */
  void fallBehind(Subscription s) {
    setBehind(s, true);
    client.whenDrained(() -> fromBehind(s));
  }

  private void fromBehind(Subscription s) {
    if (client.closed || client.subs.get(s.topic) != s || !s.behind) {
      return;
    }
    if (inTail(s)) {
      setBehind(s, false);
      s.tail = true;
      readTail(s);
      return;
    }
    if (!begin(s)) {
      c.context().owner().setTimer(PERMIT_RETRY_MS, t -> fromBehind(s));
      return;
    }
    setBehind(s, false);
    read(s);
  }

  private void setBehind(Subscription s, boolean now) {
    if (s.behind != now) {
      s.behind = now;
      c.streams().behind().addAndGet(now ? 1 : -1);
    }
  }

  /** Once the client was told it is subscribed: a subscription that starts in the past starts reading it. */
  void start(Subscription s) {
    if (s.tail) {
      readTail(s);
    } else if (s.catchUp != null) {
      read(s);
    }
  }

  /** Stops reading the past (caught up, dropped, or the client left) and gives the permit back. */
  void end(Subscription s) {
    setBehind(s, false);
    s.tail = false;
    if (s.catchUp != null) {
      s.catchUp.close();
      s.catchUp = null;
      c.catchUps().release();
    }
  }

  /** Reads the next chunk of the past; joins the live feed once delivery has reached it on every partition. */
  void read(Subscription s) {
    CatchUpReader reader = s.catchUp;
    if (reader == null || client.closed) {
      return;
    }
    if (inTail(s)) {
      end(s); // the rest is in memory: the permit and the consumer go back
      s.tail = true;
      readTail(s);
      return;
    }
    reader.next().onComplete(ar -> {
      if (s.catchUp != reader || client.closed) {
        return;
      }
      if (ar.failed()) {
        client.error(s.id, ErrorMapper.toApiError(ar.cause()));
        client.drop(s.topic);
        return;
      }
      for (CatchUpReader.Jump j : ar.result().jumps()) {
        // retention removed what the client had not read yet: say where delivery resumes
        s.next.put(j.partition(), j.offset());
        client.event(new JsonObject().put("type", "reset").put("id", s.id).put("topic", s.topic)
            .put("partition", j.partition()).put("requested", j.requested()).put("offset", j.offset()));
      }
      deliver(s, reader, ar.result().records(), 0);
    });
  }

  /**
   * Writes a chunk of the past from {@code from} on. Reading the past is paced by the client: past half its
   * budget, writing waits for it to drain.
   */
  private void deliver(Subscription s, CatchUpReader reader, List<ConsumerRecord<byte[], byte[]>> chunk, int from) {
    Budget budget = client.budget;
    for (int i = from; i < chunk.size(); i++) {
      if (s.catchUp != reader || client.closed) {
        return;
      }
      if (budget.pastHalf()) {
        int resumeAt = i;
        client.whenDrained(() -> deliver(s, reader, chunk, resumeAt));
        return;
      }
      ConsumerRecord<byte[], byte[]> r = chunk.get(i);
      long next = s.next.at(r.partition());
      if (next != Positions.NONE && r.offset() < next) {
        continue;
      }
      s.next.set(r.partition(), r.offset() + 1);
      c.streams().meters().pastFromKafka().increment();
      if (s.filter.matches(r)) {
        client.writePast(s, r);
      }
    }
    if (reachedLive(s)) {
      end(s);
    } else if (budget.pastHalf()) {
      client.whenDrained(() -> read(s));
    } else {
      read(s);
    }
  }

  /** True when, on every partition, the subscription has delivered up to where the live feed stands here. */
  private boolean reachedLive(Subscription s) {
    for (Map.Entry<Integer, Long> e : s.next.entrySet()) {
      Long live = c.fanout().liveNext(new TopicPartition(s.topic, e.getKey()));
      if (live == null || e.getValue() < live) {
        return false;
      }
    }
    return true;
  }

  /** True when the loop's tail holds, on every partition, every record from the subscription's position to the feed's. */
  private boolean inTail(Subscription s) {
    for (Map.Entry<Integer, Long> e : s.next.entrySet()) {
      if (!c.fanout().inTail(new TopicPartition(s.topic, e.getKey()), e.getValue())) {
        return false;
      }
    }
    return true;
  }

  /**
   * Writes the past from the loop's tail, a pass of up to {@link #TAIL_PASS} frames per partition at a time,
   * yielding the event loop every few passes and waiting for the client to drain past half its budget. Once
   * every partition stands at the live position, the subscription rides the feed. Records the tail no longer
   * holds (evicted while the client drained) are read from Kafka instead.
   */
  void readTail(Subscription s) {
    int passes = 0;
    while (true) {
      if (client.closed || client.subs.get(s.topic) != s || !s.tail) {
        return;
      }
      boolean behindLive = false;
      for (Map.Entry<Integer, Long> e : s.next.entrySet()) {
        TopicPartition tp = new TopicPartition(s.topic, e.getKey());
        Long live = c.fanout().liveNext(tp);
        long next = e.getValue();
        if (live != null && next >= live) {
          continue;
        }
        if (!c.fanout().inTail(tp, next)) {
          s.tail = false; // evicted, or the feed no longer reads it here: Kafka has it
          setBehind(s, true);
          fromBehind(s);
          return;
        }
        if (client.budget.pastHalf()) {
          client.whenDrained(() -> readTail(s));
          return;
        }
        List<FeedRecord> pass = c.fanout().tail().from(tp, next, TAIL_PASS);
        if (pass.isEmpty()) {
          continue; // nothing kept between the position and the feed's (records the feed skipped): none to send
        }
        behindLive = true;
        client.pass.deliverPast(client, s, pass);
        if (++passes >= TAIL_PASSES_PER_TURN) {
          c.context().runOnContext(v -> readTail(s));
          return;
        }
      }
      if (!behindLive) {
        s.tail = false; // every partition stands at the feed's position: the subscription rides the feed
        return;
      }
    }
  }
}
