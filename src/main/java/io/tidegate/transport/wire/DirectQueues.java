package io.tidegate.transport.wire;

import io.vertx.core.internal.concurrent.OutboundMessageQueue;
import io.vertx.core.net.impl.VertxConnection;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.util.Queue;

/** {@link Wire#releaseUpgradedQueue}: the reflective part, looked up once; absent members make it a no-op. */
final class DirectQueues {
  private static final Field QUEUE;
  private static final Field MQP;
  private static final Field ELEMENTS;
  private static final Field OVERFLOW;
  private static final Constructor<?> DIRECT;

  static {
    Field queue = null;
    Field mqp = null;
    Field elements = null;
    Field overflow = null;
    Constructor<?> direct = null;
    try {
      queue = VertxConnection.class.getDeclaredField("outboundMessageQueue");
      mqp = OutboundMessageQueue.class.getDeclaredField("mqp");
      elements = Class.forName("io.vertx.core.streams.impl.MessagePassingQueue").getDeclaredField("queue");
      overflow = OutboundMessageQueue.class.getDeclaredField("overflow");
      direct = Class.forName(VertxConnection.class.getName() + "$DirectOutboundMessageQueue")
          .getDeclaredConstructor(VertxConnection.class);
      for (java.lang.reflect.AccessibleObject o : new java.lang.reflect.AccessibleObject[] {queue, mqp, elements,
          overflow, direct}) {
        o.setAccessible(true);
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      direct = null;
    }
    QUEUE = queue;
    MQP = mqp;
    ELEMENTS = elements;
    OVERFLOW = overflow;
    DIRECT = direct;
  }

  private DirectQueues() {}

  static boolean available() {
    return DIRECT != null;
  }

  /** Replaces the connection's thread-safe outbound queue with the direct one, if it is one and holds nothing. */
  static boolean replace(Object connection) {
    if (DIRECT == null || !(connection instanceof VertxConnection c)) {
      return false;
    }
    try {
      Object current = QUEUE.get(c);
      if (!(current instanceof OutboundMessageQueue<?> q) || OVERFLOW.getBoolean(q)
          || !((Queue<?>) ELEMENTS.get(MQP.get(q))).isEmpty()) {
        return false;
      }
      QUEUE.set(c, DIRECT.newInstance(c));
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }
}
