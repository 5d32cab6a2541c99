package io.tidegate.auth;

import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the connections of one event loop must act on their tokens: a WebSocket that has not authenticated by the
 * end of its handshake window, a WebSocket or SSE stream whose token lapses. One Vert.x timer serves them all, set
 * for the earliest deadline: nothing is checked per record, and no connection holds a timer of its own.
 *
 * <p>Not thread-safe: used on its event loop only. Holds one entry per watched connection, so it is bounded by
 * the connections the loop holds ({@code limits.maxConnections}); a closing connection unwatches itself.
 */
public final class Deadlines {
  private static final Logger LOG = LoggerFactory.getLogger(Deadlines.class);
  private record Entry(long atMs, long seq, Object owner, Runnable action) {}

  private final Vertx vertx;
  private final LongSupplier clock;
  private final TreeSet<Entry> byTime = new TreeSet<>((a, b) -> a.atMs != b.atMs
      ? Long.compare(a.atMs, b.atMs) : Long.compare(a.seq, b.seq));
  private final Map<Object, Entry> byOwner = new HashMap<>();
  private long seq;
  private long timer = -1;
  private long timerAtMs;
  private boolean stopped;

  /** Create on the event loop whose connections it serves: its timer fires there. */
  public Deadlines(Vertx vertx) {
    this(vertx, System::currentTimeMillis);
  }

  Deadlines(Vertx vertx, LongSupplier clock) {
    this.vertx = vertx;
    this.clock = clock;
  }

  /**
   * Runs {@code action} at {@code atMs} (epoch ms) unless {@link #unwatch}ed first; replaces what {@code owner}
   * was watched for before. {@code atMs} 0 means never (it only forgets the earlier deadline).
   */
  public void watch(Object owner, long atMs, Runnable action) {
    Entry old = byOwner.remove(owner);
    if (old != null) {
      byTime.remove(old);
    }
    if (atMs > 0 && !stopped) {
      Entry e = new Entry(atMs, seq++, owner, action);
      byOwner.put(owner, e);
      byTime.add(e);
    }
    arm();
  }

  public void unwatch(Object owner) {
    watch(owner, 0, null);
  }

  /** Connections watched (for tests). */
  public int size() {
    return byOwner.size();
  }

  /** Shutdown: nothing more fires. */
  public void stop() {
    stopped = true;
    byOwner.clear();
    byTime.clear();
    arm();
  }

  /** Keeps the one timer set for the earliest deadline (none when nothing is watched). */
  private void arm() {
    if (byTime.isEmpty()) {
      cancel();
      return;
    }
    long first = byTime.first().atMs;
    if (timer >= 0 && timerAtMs == first) {
      return;
    }
    cancel();
    timerAtMs = first;
    timer = vertx.setTimer(Math.max(1, first - clock.getAsLong()), t -> {
      timer = -1;
      fire();
    });
  }

  private void cancel() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private void fire() {
    long now = clock.getAsLong();
    while (!byTime.isEmpty() && byTime.first().atMs <= now) {
      Entry e = byTime.pollFirst();
      byOwner.remove(e.owner);
      try {
        e.action.run(); // may watch or unwatch others: the sets are consistent here
      } catch (RuntimeException failure) {
        LOG.warn("A connection's deadline action failed", failure);
      }
    }
    arm();
  }
}
