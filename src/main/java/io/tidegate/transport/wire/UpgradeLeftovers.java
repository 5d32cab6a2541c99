package io.tidegate.transport.wire;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.net.impl.VertxHandler;
import java.lang.reflect.Field;
import java.util.Map;
import java.util.function.Function;

/**
 * {@link Wire#dropHandshake}: the reflective part, looked up once; when the member is missing (Vert.x moved it)
 * it does nothing and {@link #available()} says so (WireTest fails then).
 *
 * <p>When Vert.x upgrades a connection to a WebSocket it puts a new {@link VertxHandler} in the pipeline, whose
 * connection factory (a lambda, used once, when the handler is added) captures the handshake and the HTTP/1.1
 * connection the socket upgraded from; the handler keeps it for the socket's life, and with it the upgrade
 * request, its response, its headers and the HTTP connection's outbound queue: about 1.5 KiB per socket that
 * nothing reads again. The factory is replaced by one that captures nothing.
 */
final class UpgradeLeftovers {
  private static final Field FACTORY;
  private static final Function<ChannelHandlerContext, Object> USED = ctx -> {
    throw new IllegalStateException("this handler's connection was made already");
  };

  static {
    Field factory;
    try {
      factory = VertxHandler.class.getDeclaredField("connectionFactory");
      factory.setAccessible(true);
      if (factory.getType() != Function.class) {
        factory = null;
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      factory = null;
    }
    FACTORY = factory;
  }

  private UpgradeLeftovers() {}

  static boolean available() {
    return FACTORY != null;
  }

  /**
   * Forgets the connection factory of each {@link VertxHandler} in {@code pipeline} that made its connection
   * already and whose connection is not {@code upgradedFrom} (the HTTP/1.1 one, whose handler is gone anyway).
   * Returns how many it forgot.
   */
  static int drop(Iterable<Map.Entry<String, ChannelHandler>> pipeline, Object upgradedFrom) {
    if (FACTORY == null) {
      return 0;
    }
    int n = 0;
    for (Map.Entry<String, ChannelHandler> e : pipeline) {
      if (e.getValue() instanceof VertxHandler<?> h && h.getConnection() != null
          && h.getConnection() != upgradedFrom) {
        try {
          if (FACTORY.get(h) != USED) {
            FACTORY.set(h, USED);
            n++;
          }
        } catch (ReflectiveOperationException | RuntimeException ex) {
          return n;
        }
      }
    }
    return n;
  }
}
