package io.tidegate.transport.ws;

import io.tidegate.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

/**
 * A socket's part of the graceful stop (SIGTERM): its live subscriptions end where they stand, the client is
 * told those positions in a {@code draining} frame (topic to partition to the next offset, the shape a subscribe
 * takes back in {@code from.offsets}), its publishes still waiting for Kafka are answered, then the socket
 * closes with 1012 (service restart) so that the client reconnects, to another gateway, at once.
 *
 * <p>Nothing is delivered after the {@code draining} frame, so a client resuming from its offsets gets every
 * later record once. Frames the client sends meanwhile are refused with a 503 error (publishes included: they
 * are not written).
 */
final class WsDrain {
  /** RFC 6455 registry: the server is restarting; the client may reconnect at once. */
  static final short SERVICE_RESTART = 1012;

  private WsDrain() {}

  /** Drains one socket; the future completes once its close frame is sent. Runs on the socket's loop. */
  static Future<Void> drain(ServerWebSocket ws, WsSession session, WsPublisher publisher) {
    if (ws.isClosed()) {
      return Future.succeededFuture();
    }
    ws.textMessageHandler(text -> session.send(refused(text)));
    JsonObject offsets = session.endSubscriptions();
    session.send(new JsonObject().put("type", "draining").put("offsets", offsets));
    return publisher.answered()
        .compose(v -> ws.isClosed() ? Future.succeededFuture() : ws.close(SERVICE_RESTART, "service restart"))
        .recover(e -> Future.succeededFuture());
  }

  /** A frame that came after the {@code draining} one: refused with its id, so a request is never left open. */
  private static JsonObject refused(String text) {
    Object id = null;
    try {
      id = new JsonObject(text).getValue("id");
    } catch (RuntimeException e) {
      // not JSON: answered without an id
    }
    ApiError e = ApiError.shuttingDown("the gateway is shutting down; reconnect (to another instance) and resume "
        + "from the offsets of the draining frame; nothing of this frame was done");
    return new JsonObject().put("type", "error").put("id", id == null ? null : String.valueOf(id))
        .put("status", e.status()).put("title", e.title()).put("detail", e.detail()).put("problem", e.type());
  }
}
