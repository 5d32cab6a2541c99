package io.tidegate.transport.wire;

import io.vertx.core.internal.concurrent.OutboundMessageQueue;
import io.vertx.core.net.impl.VertxConnection;
import java.lang.reflect.AccessibleObject;
import java.lang.reflect.Field;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * {@link Wire#leanQueues}: the reflective part, looked up once; when a member is missing (Vert.x moved it) it
 * does nothing and {@link #available()} says so (WireTest fails then).
 *
 * <p>Vert.x's connection keeps an {@link OutboundMessageQueue}: writes from any thread pass through a
 * {@code MessagePassingQueue.MpSc}, whose element storage is Netty's {@code newMpscQueue()}, a JCTools queue whose
 * first chunk (1,025 references) and padded header (~0.6 KiB) are allocated with the connection: about 4.7 KiB
 * per connection, two per WebSocket. That storage is touched only when a write arrives while an earlier one is
 * still held back (the socket not writable, or a write made from another thread during a drain): an idle or
 * keeping-up connection's writes go through the queue's single {@code overflow} slot and never reach it. Here the
 * storage alone is swapped for a {@link ConcurrentLinkedQueue}, as thread-safe for many producers and one
 * consumer, which costs two small objects empty and a node per element held. The queue's logic (ownership,
 * high- and low-water marks, drain, close and dispose) is Vert.x's, unchanged.
 */
final class LeanQueues {
  private static final Field OUTBOUND;
  private static final Field MQP;
  private static final Field STORAGE;
  private static final Field OVERFLOW;
  private static final Field WIP;

  static {
    Field outbound = null;
    Field mqp = null;
    Field storage = null;
    Field overflow = null;
    Field wip = null;
    try {
      Class<?> passing = Class.forName("io.vertx.core.streams.impl.MessagePassingQueue");
      outbound = VertxConnection.class.getDeclaredField("outboundMessageQueue");
      mqp = OutboundMessageQueue.class.getDeclaredField("mqp");
      storage = passing.getDeclaredField("queue");
      overflow = passing.getDeclaredField("overflow");
      wip = Class.forName(passing.getName() + "$MpSc").getDeclaredField("wip");
      for (AccessibleObject o : new AccessibleObject[] {outbound, mqp, storage, overflow, wip}) {
        o.setAccessible(true);
      }
      if (!Queue.class.isAssignableFrom(storage.getType())) {
        storage = null;
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      storage = null;
    }
    OUTBOUND = outbound;
    MQP = mqp;
    STORAGE = storage;
    OVERFLOW = overflow;
    WIP = wip;
  }

  private LeanQueues() {}

  static boolean available() {
    return STORAGE != null;
  }

  /**
   * Swaps the storage of {@code connection}'s outbound queue for a lean one, if it is a Vert.x connection whose
   * queue is the thread-safe kind and holds nothing (no element, no ownership taken). Call on the connection's
   * event loop, while nothing else writes to it. Returns whether it swapped.
   */
  static boolean lighten(Object connection) {
    if (STORAGE == null || !(connection instanceof VertxConnection c)) {
      return false;
    }
    try {
      if (!(OUTBOUND.get(c) instanceof OutboundMessageQueue<?> outbound)) {
        return false; // the direct queue (strictThreadMode) holds nothing of its own
      }
      Object passing = MQP.get(outbound);
      if (!WIP.getDeclaringClass().isInstance(passing)) {
        return false;
      }
      Queue<?> storage = (Queue<?>) STORAGE.get(passing);
      if (storage instanceof ConcurrentLinkedQueue || WIP.getLong(passing) != 0 || OVERFLOW.get(passing) != null
          || !storage.isEmpty()) {
        return false;
      }
      STORAGE.set(passing, new ConcurrentLinkedQueue<>());
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }
}
