package io.tidegate.transport.ws;

import io.tidegate.publish.PublishService;
import io.tidegate.stream.StreamContext;

import io.tidegate.error.Problems;
import io.tidegate.transport.wire.Wire;
import io.vertx.core.Context;
import io.vertx.ext.web.RoutingContext;

/** {@code /ws}: upgrades to a WebSocket and gives it a session on this event loop. */
public final class WsEndpoint {
  private final StreamContext wsContext;
  private final PublishService publishing;
  private final long publishTimeoutMs;
  private final java.util.Set<io.vertx.core.http.ServerWebSocket> open = new java.util.HashSet<>();

  /** @param context this event loop's streaming context (its fan-out, shared with SSE streams) */
  public WsEndpoint(StreamContext context, PublishService publishing, java.time.Duration publishTimeout) {
    this.wsContext = context;
    this.publishing = publishing;
    this.publishTimeoutMs = publishTimeout.toMillis();
  }

  public void handle(RoutingContext ctx) {
    Wire.consolidateFlushes(ctx.request().connection());
    ctx.request().toWebSocket()
        .onSuccess(ws -> {
          wsContext.sessions().incrementAndGet();
          open.add(ws);
          new WsSession(ws, wsContext, publishing, publishTimeoutMs, () -> open.remove(ws));
        })
        .onFailure(e -> Problems.send(ctx, e));
  }

  /**
   * Shutdown: every socket of this event loop is sent 1001 (going away). It does not wait for the clients'
   * replies (a client that stopped reading never sends one); the listener's grace period bounds the rest.
   */
  public void closeAll() {
    for (io.vertx.core.http.ServerWebSocket ws : java.util.List.copyOf(open)) {
      ws.close((short) 1001, "going away");
    }
  }
}
