package io.tidegate.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * A client's outbound byte budget: the bytes handed to its transport whose write has not completed yet (the
 * client has not taken them). Past half the budget the client is congested; it drains at a quarter. The live
 * feed writes only while the queue is under the whole budget; whatever else waits for room waits here
 * ({@link #whenDrained}). Used on the client's event loop only; no clock and no Vert.x, so it is tested alone.
 */
final class Budget {
  private final long limit;
  private final long congestedAt;
  private final long drainedAt;
  private final Consumer<Boolean> congestionChanged;
  /** The transport's bytes queued across its clients (a meter), kept with this client's. */
  private final LongAdder transportQueued;
  private final List<Runnable> waiters = new ArrayList<>();
  private long queued;
  private boolean congested;
  /** Writes completed so far: a client that takes nothing leaves this unchanged. */
  private long completions;

  /** @param congestionChanged told when the client becomes congested (true) or drains (false) */
  Budget(long limit, Consumer<Boolean> congestionChanged) {
    this(limit, new LongAdder(), congestionChanged);
  }

  /** @param transportQueued the sum over the transport's clients, kept with this one's queue */
  Budget(long limit, LongAdder transportQueued, Consumer<Boolean> congestionChanged) {
    this.limit = limit;
    this.transportQueued = transportQueued;
    this.congestedAt = limit / 2;
    this.drainedAt = limit / 4;
    this.congestionChanged = congestionChanged;
  }

  /** Bytes handed to the transport. */
  void queued(long bytes) {
    queued += bytes;
    transportQueued.add(bytes);
  }

  /** A write completed (the kernel took it, or the connection closed). */
  void written(long bytes) {
    queued -= bytes;
    transportQueued.add(-bytes);
    completions++;
    if (congested && queued <= drainedAt) {
      drained();
    }
  }

  /** True when {@code more} bytes not yet handed over leave no room for another live record. */
  boolean full(long more) {
    return queued + more >= limit;
  }

  /** True past half the budget: reading the past waits for the client to drain. */
  boolean pastHalf() {
    return queued >= congestedAt;
  }

  /** After writes: past half the budget, the client is congested. */
  void check() {
    if (queued >= congestedAt) {
      setCongested(true);
    }
  }

  /** Runs {@code then} once the client has drained to a quarter of its budget. */
  void whenDrained(Runnable then) {
    setCongested(true);
    waiters.add(then);
    if (queued <= drainedAt) {
      drained(); // nothing in flight would ever call written()
    }
  }

  /** Something waits for the client to drain. */
  boolean waiting() {
    return !waiters.isEmpty();
  }

  boolean congested() {
    return congested;
  }

  long queued() {
    return queued;
  }

  long completions() {
    return completions;
  }

  private void drained() {
    setCongested(false);
    if (!waiters.isEmpty()) {
      List<Runnable> ready = List.copyOf(waiters);
      waiters.clear();
      ready.forEach(Runnable::run);
    }
  }

  private void setCongested(boolean now) {
    if (congested != now) {
      congested = now;
      congestionChanged.accept(now);
    }
  }

  /** The client is gone: nothing waits any more, and no change is reported. */
  void clear() {
    waiters.clear();
  }
}
