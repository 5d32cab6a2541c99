package io.tidegate.transport;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tidegate.error.ApiError;
import io.tidegate.error.Problems;
import io.tidegate.transport.wire.Wire;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code limits.maxConnections}: open HTTP connections (WebSockets and SSE streams included) across every
 * event loop. A connection beyond the limit is not served: its request (a WebSocket handshake too) gets
 * 429 with {@code Retry-After} and {@code Connection: close}, and the connection is closed.
 */
public final class ConnectionLimit {
  private final int max;
  private final AtomicInteger open = new AtomicInteger();
  /** The connections over the limit, until they close (at most as many as clients opened beyond it). */
  private final Set<HttpConnection> over = ConcurrentHashMap.newKeySet();
  private final Counter refused;

  public ConnectionLimit(int max, MeterRegistry registry) {
    this.max = max;
    Gauge.builder("tidegate.http.connections", open, AtomicInteger::get)
        .description("Open HTTP connections, WebSockets and SSE streams included").register(registry);
    this.refused = Counter.builder("tidegate.http.connections.refused")
        .description("Connections refused with 429 because limits.maxConnections were open").register(registry);
  }

  private final Runnable uncount = open::decrementAndGet;

  /** Counts a new connection until it closes, and notes whether it is over the limit. */
  void opened(HttpConnection connection) {
    if (listener == null) {
      listener = Wire.listener(connection); // every instance shares the port's one listening socket
    }
    boolean isOver = open.incrementAndGet() > max;
    if (isOver) {
      over.add(connection);
    }
    Runnable closed = !isOver ? uncount : () -> {
      open.decrementAndGet();
      over.remove(connection);
    };
    // a connection within the limit is not captured: the listener would keep its HTTP/1.1 connection object (and
    // the request it upgraded from, with its headers) reachable as long as a WebSocket lives on the socket
    // the socket's own close: a connection upgraded to a WebSocket no longer reports through closeHandler
    if (!Wire.onSocketClosed(connection, closed)) {
      connection.closeHandler(v -> closed.run());
    }
  }

  /** True when the request came on a connection beyond the limit: answer it with {@link #refuse}. */
  boolean isOver(HttpServerRequest request) {
    return !over.isEmpty() && over.contains(request.connection());
  }

  void refuse(HttpServerRequest request) {
    refused.increment();
    HttpErrors.closing(request);
    Problems.send(request.response(), ApiError.tooManyConnections("the gateway has " + max
        + " connections open, its limit (limits.maxConnections); retry shortly", 1));
    request.connection().close();
  }

  /** The listening socket, known once a connection came (null before: then there is nothing to race with). */
  private volatile io.netty.channel.Channel listener;

  /** Graceful stop: stops accepting at once (the kernel refuses new connections); open ones are kept. */
  void stopAccepting() {
    io.netty.channel.Channel l = listener;
    if (l != null) {
      l.close();
    }
  }

  int open() {
    return open.get();
  }
}
