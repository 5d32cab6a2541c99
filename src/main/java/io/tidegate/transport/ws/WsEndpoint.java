package io.tidegate.transport.ws;

import io.tidegate.stream.Fanout;
import io.tidegate.stream.StreamContext;

import io.tidegate.Services;
import io.tidegate.error.Problems;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.Context;
import io.vertx.ext.web.RoutingContext;

/** {@code /ws}: upgrades to a WebSocket and gives it a session on this event loop. */
public final class WsEndpoint {
  /**
   * At most this many flushes are held back before one goes out (Netty's explicitFlushAfterFlushes): a
   * socket's share of a batch leaves in flushes of up to 16 frames, and between them the kernel takes what
   * the client has room for, so the bytes counted against the budget are the ones the client did not take.
   */
  private static final int FLUSHES_PER_WRITE = 16;

  private final StreamContext wsContext;
  private final Services services;
  private final java.util.Set<io.vertx.core.http.ServerWebSocket> open = new java.util.HashSet<>();

  /** Call on the event loop that will serve these sockets (in the HTTP verticle's start). */
  public WsEndpoint(Context context, Services services) {
    this.services = services;
    Fanout fanout = new Fanout(context, services.feed());
    services.feed().addSink(context, fanout);
    this.wsContext = new StreamContext(context, fanout, services.config().ws(),
        services.config().publish().timeout().toMillis(), services.feed(), services.topics(),
        services.publishing(), services.clients(), services.catchUpWorkers(), services.catchUps(),
        services.wsSessions(), services.slowClosed(), services.groupMembers(), services.groupCommits());
  }

  public StreamContext context() {
    return wsContext;
  }

  public void handle(RoutingContext ctx) {
    consolidateFlushes(ctx);
    ctx.request().toWebSocket()
        .onSuccess(ws -> {
          services.wsSessions().incrementAndGet();
          open.add(ws);
          new WsSession(ws, wsContext, () -> open.remove(ws));
        })
        .onFailure(e -> Problems.send(ctx, e));
  }

  /**
   * Vert.x flushes the socket after every write made outside a read, so a batch of records fanned out to a
   * socket would cost one system call per record. Netty's {@link FlushConsolidationHandler} turns the flushes
   * of one event-loop task into one. Reaching the channel uses a Vert.x internal interface; without it,
   * sockets work as before, one flush per frame.
   */
  public static void consolidateFlushes(RoutingContext ctx) {
    if (ctx.request().connection() instanceof io.vertx.core.http.impl.HttpServerConnection c) {
      io.netty.channel.ChannelPipeline pipeline = c.channelHandlerContext().pipeline();
      if (pipeline.get(FlushConsolidationHandler.class) == null) {
        pipeline.addFirst("tidegate-flush-consolidation", new FlushConsolidationHandler(FLUSHES_PER_WRITE, true));
      }
    }
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
