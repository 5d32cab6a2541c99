package io.tidegate.ws;

import io.tidegate.Services;
import io.tidegate.http.Problems;
import io.vertx.core.Context;
import io.vertx.ext.web.RoutingContext;

/** {@code /ws}: upgrades to a WebSocket and gives it a session on this event loop. */
public final class WsEndpoint {
  private final WsContext wsContext;
  private final Services services;
  private final java.util.Set<io.vertx.core.http.ServerWebSocket> open = new java.util.HashSet<>();

  /** Call on the event loop that will serve these sockets (in the HTTP verticle's start). */
  public WsEndpoint(Context context, Services services) {
    this.services = services;
    Fanout fanout = new Fanout(context, services.feed());
    services.feed().addSink(context, fanout);
    this.wsContext = new WsContext(context, fanout, services.config().ws(),
        services.config().publish().timeout().toMillis(), services.feed(), services.topics(),
        services.publishing(), services.clients(), services.catchUpWorkers(), services.catchUps(),
        services.wsSessions(), services.slowClosed());
  }

  public void handle(RoutingContext ctx) {
    ctx.request().toWebSocket()
        .onSuccess(ws -> {
          services.wsSessions().incrementAndGet();
          open.add(ws);
          new WsSession(ws, wsContext, () -> open.remove(ws));
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
