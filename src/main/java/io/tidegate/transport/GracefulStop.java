package io.tidegate.transport;

import io.tidegate.error.ApiError;
import io.tidegate.error.Problems;
import io.tidegate.publish.Draining;
import io.tidegate.transport.sse.SseEndpoint;
import io.tidegate.transport.ws.WsEndpoint;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;

/**
 * One listener's part of the graceful stop (SIGTERM), in this order:
 * <ol>
 *   <li>the listening socket closes: a connection attempted after the signal is refused at once by the kernel
 *       (a load balancer moves on). Connections already open stay: every new request on them, WebSocket
 *       handshake and SSE stream included, is answered 503 {@code shutting-down} with {@code Retry-After} and
 *       {@code Connection: close}, also on one accepted a moment before the signal whose request was still on
 *       its way (Vert.x's own shutdown would close that one unanswered: it runs only at the end);</li>
 *   <li>SSE streams get {@code event: draining} and end after their last record's id; WebSockets get a
 *       {@code draining} frame with their offsets, their publishes answered, then close 1012;</li>
 *   <li>once every publish open at the signal is answered (HTTP and WebSocket: {@link Draining#idle()}), the
 *       listener closes: connections with an answer still being written get a short grace, idle ones close.</li>
 * </ol>
 */
final class GracefulStop {
  private GracefulStop() {}

  /** A request that arrived after the signal: 503, then the connection closes once the request is read. */
  static void refuse(HttpServerRequest request) {
    HttpErrors.closing(request);
    Problems.send(request.response(), ApiError.shuttingDown(
        "the gateway is shutting down; retry on another instance (nothing of this request was done)"));
    // closed once the request is read whole: closing with unread bytes would reset the answer on its way
    request.end().onComplete(ar -> request.connection().close());
  }

  static Future<Void> stop(HttpServer server, ConnectionLimit connections, WsEndpoint ws, SseEndpoint sse,
      Draining draining, Duration timeout) {
    connections.stopAccepting();
    sse.closeAll();
    Future<Void> sockets = ws.drainAll();
    // Gateway.stop began the drain first; a verticle undeployed on its own has nothing to wait for
    Future<Void> publishes = draining.draining() ? draining.idle() : Future.succeededFuture();
    Duration grace = Duration.ofMillis(Math.max(1000, timeout.toMillis() / 4));
    return Future.join(sockets, publishes)
        .transform(ar -> server.shutdown(grace));
  }
}
