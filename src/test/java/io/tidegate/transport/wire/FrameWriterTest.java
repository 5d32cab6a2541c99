package io.tidegate.transport.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tidegate.codec.TextFrames;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocketClientOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Frames written straight into an upgraded connection's channel reach a real WebSocket client (Vert.x's, which
 * checks the framing) whole and in order: every length form of the header, a shared frame written twice (each
 * write is a view, the shared bytes stay whole), a frame around a payload, and Vert.x's own frames after them.
 */
class FrameWriterTest {

  private static String text(int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append((char) ('a' + i % 26));
    }
    return b.toString();
  }

  @Test
  void framesWrittenIntoTheChannelArriveWholeAndInOrder() throws Exception {
    // 0, 125: length in the first byte; 126, 65535: in 2 more; 65536, 70000: in 8 more
    List<String> payloads = List.of("", "é€ ok", text(125), text(126), text(65_535), text(65_536), text(70_000));
    List<String> expected = new ArrayList<>();
    for (String p : payloads) {
      expected.add(p);
      expected.add(p);
    }
    expected.add("{\"type\":\"event\"}");
    expected.add("after, through Vert.x");
    Vertx vertx = Vertx.vertx();
    try {
      CompletableFuture<Object> written = new CompletableFuture<>();
      HttpServer server = vertx.createHttpServer().requestHandler(req -> {
        var connection = req.connection();
        // the server writes once the client speaks, so a connect attempt that fails (below) has been sent nothing
        req.toWebSocket().onSuccess(ws -> ws.textMessageHandler(go -> {
          FrameWriter frames = FrameWriter.of(connection, Vertx.currentContext());
          assertNotNull(frames, "Vert.x's upgraded connection must still show Netty's frame encoder");
          for (String p : payloads) {
            ByteBuf shared = TextFrames.shared(p.getBytes(StandardCharsets.UTF_8));
            frames.writeShared(shared);
            frames.writeShared(shared);
          }
          frames.writeText(Unpooled.copiedBuffer("{\"type\":\"event\"}", StandardCharsets.UTF_8));
          Future<Void> done = frames.flush();
          done.onComplete(ar -> written.complete(ar.succeeded() ? "written" : ar.cause()));
          ws.writeTextMessage("after, through Vert.x");
        }));
      }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

      List<String> received = new CopyOnWriteArrayList<>();
      CompletableFuture<Void> all = new CompletableFuture<>();
      var client = vertx.createWebSocketClient(
          new WebSocketClientOptions().setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 20));
      // Vert.x's client with these options now and then loses its connection during the handshake ("connection
      // closed while handshake in process"), before the server has written anything: seen with the writer of
      // c188d18 too, in about 3 runs of 4 of this class alone on a quiet machine; the cause is not in this code.
      // Nothing is written until the client says "go", so another attempt starts from scratch.
      Future<io.vertx.core.http.WebSocket> connected = client.connect(server.actualPort(), "127.0.0.1", "/")
          .recover(e -> client.connect(server.actualPort(), "127.0.0.1", "/"))
          .recover(e -> client.connect(server.actualPort(), "127.0.0.1", "/"));
      connected
          .onSuccess(ws -> ws.textMessageHandler(t -> {
            received.add(t);
            if (received.size() == expected.size()) {
              all.complete(null);
            }
          }).writeTextMessage("go"))
          .onFailure(all::completeExceptionally);
      all.get(30, TimeUnit.SECONDS);
      assertEquals(expected.size(), received.size());
      for (int i = 0; i < expected.size(); i++) {
        assertEquals(expected.get(i), received.get(i), "message " + i);
      }
      assertEquals("written", written.get(10, TimeUnit.SECONDS), "the flush completes once the frames are written");
      assertNull(FrameWriter.of(null, null), "anything else: null, and the session writes through Vert.x");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Where the connection consolidates flushes (as every WebSocket's does, {@link Wire#consolidateFlushes}), a
   * writer's flush still goes out in the task that makes it: a pass of frames is written, and completes, within
   * the pass, not in a flush task of the consolidation handler and a completion task after it.
   */
  @Test
  void aFlushPassesTheConsolidationAndCompletesWithinItsTask() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      CompletableFuture<Boolean> completedAtOnce = new CompletableFuture<>();
      HttpServer server = vertx.createHttpServer().requestHandler(req -> {
        var connection = req.connection();
        req.toWebSocket().onSuccess(ws -> {
          Wire.consolidateFlushes(connection);
          FrameWriter frames = FrameWriter.of(connection, Vertx.currentContext());
          ws.textMessageHandler(go -> { // in a read, where the consolidation holds flushes back until it ends
            frames.writeShared(TextFrames.shared("one".getBytes(StandardCharsets.UTF_8)));
            frames.writeShared(TextFrames.shared("two".getBytes(StandardCharsets.UTF_8)));
            completedAtOnce.complete(frames.flush().isComplete());
          });
        });
      }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

      List<String> received = new CopyOnWriteArrayList<>();
      CompletableFuture<Void> both = new CompletableFuture<>();
      vertx.createWebSocketClient().connect(server.actualPort(), "127.0.0.1", "/")
          .onSuccess(ws -> ws.textMessageHandler(t -> {
            received.add(t);
            if (received.size() == 2) {
              both.complete(null);
            }
          }).writeTextMessage("go"))
          .onFailure(both::completeExceptionally);
      both.get(30, TimeUnit.SECONDS);
      assertEquals(List.of("one", "two"), received);
      assertEquals(true, completedAtOnce.get(10, TimeUnit.SECONDS),
          "a small pass to a writable socket is written before flush returns");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
