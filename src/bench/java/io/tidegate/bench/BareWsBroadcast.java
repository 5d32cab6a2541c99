package io.tidegate.bench;

import io.netty.buffer.Unpooled;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.websocket.WebSocketFrameImpl;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The fan-out ceiling: a bare Vert.x WebSocket server (same transport, same number of event loops as the
 * gateway) that broadcasts pre-encoded frames shaped and sized like the gateway's record frames, as fast as
 * its slowest client takes them. No Kafka, no protocol: {@code GET /broadcast?seconds=S&valueBytes=B&framesPerRound=F}
 * starts a broadcast on every event loop; every WebSocket connected to {@code /ws} gets every frame.
 *
 * <p>Each event loop writes F frames to each of its sockets per round, each encoded once for the round, and
 * starts the next round at once unless a socket's write queue is full; then it waits for those to drain.
 * Sockets get the same Netty flush consolidation as the gateway's, so F frames to a socket cost one flush.
 */
public final class BareWsBroadcast {
  private BareWsBroadcast() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    int instances = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    List<Loop> loops = new java.util.concurrent.CopyOnWriteArrayList<>();
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        Loop loop = new Loop(context);
        loops.add(loop);
        return vertx.createHttpServer()
            .webSocketHandler(ws -> loop.add(ws))
            .requestHandler(req -> {
              int seconds = Integer.parseInt(req.getParam("seconds", "10"));
              int valueBytes = Integer.parseInt(req.getParam("valueBytes", "200"));
              int framesPerRound = Integer.parseInt(req.getParam("framesPerRound", "1"));
              loops.forEach(l -> l.context.runOnContext(v -> l.broadcast(seconds, valueBytes, framesPerRound)));
              req.response().end("started on " + loops.size() + " event loops\n");
            })
            .listen(port);
      }
    }, new DeploymentOptions().setInstances(instances))
        .onSuccess(id -> System.out.println("BARE WS READY " + port));
  }

  private static final class Loop {
    final Context context;
    final List<ServerWebSocket> sockets = new ArrayList<>();
    long deadline;
    long offset;
    int waiting;
    byte[] pad;
    int framesPerRound;

    Loop(Context context) {
      this.context = context;
    }

    void add(ServerWebSocket ws) {
      // the same flush consolidation as the gateway's sockets
      if (ws instanceof io.vertx.core.internal.http.WebSocketInternal wi) {
        wi.channelHandlerContext().pipeline().addFirst(new io.netty.handler.flush.FlushConsolidationHandler(16, true));
      }
      sockets.add(ws);
      ws.closeHandler(v -> sockets.remove(ws));
      ws.handler(b -> { });
    }

    void broadcast(int seconds, int valueBytes, int framesPerRound) {
      this.framesPerRound = framesPerRound;
      deadline = System.currentTimeMillis() + seconds * 1000L;
      String fill = "x".repeat(Math.max(0, valueBytes - "{\"n\":0,\"pad\":\"\"}".length()));
      pad = fill.getBytes(StandardCharsets.UTF_8);
      round();
    }

    private void round() {
      long now = System.currentTimeMillis();
      if (now >= deadline) {
        return;
      }
      byte[][] frames = new byte[framesPerRound][];
      for (int f = 0; f < framesPerRound; f++) {
        long o = offset++;
        frames[f] = ("{\"type\":\"record\",\"topic\":\"bare\",\"partition\":0,\"offset\":" + o + ",\"timestamp\":" + now
            + ",\"key\":null,\"headers\":{},\"value\":{\"n\":0,\"pad\":\"" + new String(pad, StandardCharsets.UTF_8)
            + "\"}}").getBytes(StandardCharsets.UTF_8);
      }
      List<ServerWebSocket> full = new ArrayList<>();
      for (ServerWebSocket ws : List.copyOf(sockets)) {
        for (byte[] frame : frames) {
          ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, Unpooled.wrappedBuffer(frame), true));
        }
        if (ws.writeQueueFull()) {
          full.add(ws);
        }
      }
      if (full.isEmpty()) {
        context.runOnContext(v -> round());
        return;
      }
      waiting = full.size();
      for (ServerWebSocket ws : full) {
        ws.drainHandler(v -> {
          ws.drainHandler(null);
          if (--waiting == 0) {
            round();
          }
        });
      }
    }
  }
}
