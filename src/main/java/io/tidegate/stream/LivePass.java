package io.tidegate.stream;

import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/**
 * One client's pass of live records (up to 16 frames, see {@link Fanout}): its bytes enter the budget together
 * once the pass is handed over, and leave it together when the pass's last write completes (a connection
 * completes its writes in order), so a pass costs one completion listener, not one per frame. That completion
 * also records the delivery latency of the pass's last record, in the passes {@link Fanout} samples. Used on the
 * client's event loop only.
 */
final class LivePass {
  private final Budget budget;
  private long bytes;
  private Future<Void> last;
  private long timestamp;
  /**
   * The subscription the last pass went to (null: look it up): a client's passes are mostly of one topic, and
   * this object is read on every pass anyway, where the client's map of subscriptions costs two more reads from
   * memory (its table and entry) per socket and pass. {@link #forget} whenever that map changes.
   */
  private Subscription current;

  LivePass(Budget budget) {
    this.budget = budget;
  }

  /** The client's subscription of {@code topic} (interned, as {@link Subscription#topic}), or null. */
  Subscription subscription(Map<String, Subscription> subs, String topic) {
    Subscription s = current;
    if (s == null || s.topic != topic) {
      s = subs.get(topic);
      current = s;
    }
    return s;
  }

  /** The client's subscriptions changed. */
  void forget() {
    current = null;
  }

  /**
   * {@code n} bytes were handed to the transport; {@code write} completes when the kernel took them and all
   * before them (null: a later call of the pass brings the completion). They enter the budget with the pass's
   * completion ({@link #end}), all at once.
   */
  void wrote(int n, Future<Void> write) {
    bytes += n;
    if (write != null) {
      last = write;
    }
  }

  /**
   * Writes the live records of one topic the subscription has not had, in order, as one pass. A record that
   * does not fit in the budget is not written: the subscription falls behind and catches up from Kafka later.
   * {@code latency}: where the pass's delivery latency goes (null: not sampled).
   */
  void deliver(StreamClient client, Subscription s, List<FeedRecord> records, Timer latency) {
    for (FeedRecord r : records) {
      long next = s.next.at(r.partition());
      if (next != Positions.NONE && r.offset() < next) {
        continue; // already delivered (the catch-up read past this point)
      }
      boolean matches = r.matches(s.filter);
      if (matches && budget.full(client.pendingBytes() + bytes)) {
        if (next == Positions.NONE) {
          s.next.set(r.partition(), r.offset());
        }
        client.past.fallBehind(s);
        break;
      }
      s.next.set(r.partition(), r.next());
      if (matches) {
        client.writeLive(s, r);
        timestamp = r.record().timestamp();
      }
    }
    client.flushLive();
    end(latency);
    budget.check();
  }

  /**
   * Writes records of the loop's {@link FeedTail}, all at or after the subscription's position, as one pass.
   * They are the past, so they are not sampled for delivery latency. The caller keeps the pass within the budget.
   */
  void deliverPast(StreamClient client, Subscription s, List<FeedRecord> records) {
    for (FeedRecord r : records) {
      s.next.set(r.partition(), r.next());
      if (r.matches(s.filter)) {
        client.writeLive(s, r);
      }
    }
    client.flushLive();
    end(null);
    budget.check();
    client.c.streams().meters().pastFromTail().increment(records.size());
  }

  /**
   * The pass is handed over: its bytes enter the budget, and one listener releases them and samples
   * {@code latency} (unless null) when they are written.
   */
  private void end(Timer latency) {
    Future<Void> write = last;
    long n = bytes;
    long ts = timestamp;
    last = null;
    bytes = 0;
    if (write == null) {
      return; // nothing was written (the connection is closing)
    }
    budget.queued(n);
    write.onComplete(ar -> {
      budget.written(n);
      if (latency != null) {
        DeliveryLatency.record(latency, ts);
      }
    });
  }
}
