package io.tidegate.transport.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import io.tidegate.testing.Awaits;
import org.junit.jupiter.api.Test;

/** The Vert.x internals Tidegate relies on still do what the fan-out needs: this fails when an upgrade moves them. */
class WireTest {

  @Test
  void bufferSharesTheRecordsBytesWithoutCopying() {
    ByteBuf shared = Unpooled.wrappedBuffer("{\"a\":1}".getBytes(StandardCharsets.UTF_8));
    Buffer b = Wire.buffer(shared);
    assertEquals("{\"a\":1}", b.toString());
    shared.setByte(5, '2');
    assertEquals("{\"a\":2}", b.toString(), "the buffer must see the shared bytes, not a copy");
  }

  @Test
  void textFrameIsAFinalTextFrameOverTheSameBytes() {
    ByteBuf shared = Unpooled.wrappedBuffer("hello".getBytes(StandardCharsets.UTF_8));
    WebSocketFrame frame = Wire.textFrame(shared);
    assertTrue(frame.isText());
    assertTrue(frame.isFinal());
    assertEquals("hello", frame.textData());
  }

  @Test
  void flushesAreConsolidatedOnConnectionsOfVertxsHttpServer() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      AtomicBoolean consolidated = new AtomicBoolean();
      AtomicBoolean again = new AtomicBoolean();
      HttpServer server = vertx.createHttpServer().requestHandler(req -> {
        consolidated.set(Wire.consolidateFlushes(req.connection()));
        again.set(Wire.consolidateFlushes(req.connection())); // a second call on the same connection is harmless
        req.response().end("ok");
      }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      String body = vertx.createHttpClient(new HttpClientOptions())
          .request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
          .compose(r -> r.send().compose(resp -> resp.body()))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).toString();
      assertEquals("ok", body);
      assertTrue(consolidated.get(), "Vert.x's server connection must still expose its Netty pipeline");
      assertTrue(again.get());
      assertFalse(Wire.consolidateFlushes(null), "anything else is left alone");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void anUpgradedSocketIsRecognisedAndItsCloseIsReported() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      java.util.concurrent.CompletableFuture<Boolean> upgraded = new java.util.concurrent.CompletableFuture<>();
      java.util.concurrent.CompletableFuture<Boolean> closedSeen = new java.util.concurrent.CompletableFuture<>();
      HttpServer server = vertx.createHttpServer().requestHandler(req -> {
        var connection = req.connection();
        assertTrue(Wire.onSocketClosed(connection, () -> closedSeen.complete(true)));
        req.toWebSocket().onSuccess(ws -> upgraded.complete(Wire.upgraded(connection)));
      }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      // held: a client nothing references is closed by Vert.x's cleaner at the next garbage collection
      var client = vertx.createWebSocketClient();
      var ws = client.connect(server.actualPort(), "127.0.0.1", "/")
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertTrue(upgraded.get(10, TimeUnit.SECONDS), "the upgraded pipeline must still show Netty's frame decoder");
      assertFalse(closedSeen.isDone());
      ws.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertTrue(closedSeen.get(10, TimeUnit.SECONDS), "the close of an upgraded socket must be reported");
      assertFalse(Wire.upgraded(null));
      client.close();
      assertFalse(Wire.onSocketClosed(null, () -> { }));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
  /**
   * Both Vert.x connections of an upgraded socket get the lean queue storage, and a backlog still forms in it and
   * drains in order: a client that stops reading while 3,000 frames (6 MB) are written makes the queue report
   * full (more than its high-water mark held), then reads every frame, in order, once it resumes.
   */
  @Test
  void anUpgradedSocketsQueuesAreLeanAndStillHoldABacklogInOrder() throws Exception {
    assertTrue(LeanQueues.available(), "Vert.x's outbound queue and the fields it swaps are where expected");
    Vertx vertx = Vertx.vertx();
    try {
      int frames = 3000;
      String pad = "p".repeat(2000);
      java.util.concurrent.CompletableFuture<Integer> lightened = new java.util.concurrent.CompletableFuture<>();
      java.util.concurrent.CompletableFuture<Integer> again = new java.util.concurrent.CompletableFuture<>();
      AtomicBoolean becameFull = new AtomicBoolean();
      HttpServer server = vertx.createHttpServer().requestHandler(req -> {
        var connection = req.connection();
        req.toWebSocket().onSuccess(ws -> {
          lightened.complete(Wire.leanQueues(connection));
          again.complete(Wire.leanQueues(connection));
          ws.textMessageHandler(go -> {
            for (int i = 0; i < frames; i++) {
              ws.writeTextMessage(i + ":" + pad);
              becameFull.compareAndSet(false, ws.writeQueueFull());
            }
          });
        });
      }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      // held: a client nothing references is closed by Vert.x's cleaner at the next garbage collection
      var client = vertx.createWebSocketClient(
          new io.vertx.core.http.WebSocketClientOptions().setReceiveBufferSize(4096));
      var ws = client.connect(server.actualPort(), "127.0.0.1", "/")
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertEquals(2, lightened.get(10, TimeUnit.SECONDS), "the HTTP connection's queue and the WebSocket's");
      assertEquals(0, again.get(10, TimeUnit.SECONDS), "a lean queue is left as it is");
      java.util.List<String> got = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
      java.util.concurrent.CountDownLatch all = new java.util.concurrent.CountDownLatch(frames);
      ws.textMessageHandler(t -> {
        got.add(t.substring(0, t.indexOf(':')));
        all.countDown();
      });
      ws.pause();
      ws.writeTextMessage("go");
      Awaits.until("the server's queue reports full", java.time.Duration.ofSeconds(30), becameFull::get);
      ws.resume();
      assertTrue(all.await(60, TimeUnit.SECONDS), "every frame arrives: " + got.size());
      for (int i = 0; i < frames; i++) {
        assertEquals(String.valueOf(i), got.get(i), "in order");
      }
      assertEquals(0, Wire.leanQueues(null));
      client.close();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
  /**
   * Once the handshake is dropped, the HTTP/1.1 connection the socket upgraded from (with its request, response
   * and headers) can be collected while the socket lives on and still carries frames both ways.
   */
  @Test
  void anUpgradedSocketLetsGoOfItsHandshake() throws Exception {
    assertTrue(UpgradeLeftovers.available(), "Vert.x's handler and its connection factory are where expected");
    Vertx vertx = Vertx.vertx();
    try {
      java.util.concurrent.CompletableFuture<Boolean> dropped = new java.util.concurrent.CompletableFuture<>();
      java.util.concurrent.atomic.AtomicReference<java.lang.ref.WeakReference<Object>> http =
          new java.util.concurrent.atomic.AtomicReference<>();
      HttpServer server = vertx.createHttpServer().requestHandler(req -> {
        http.set(new java.lang.ref.WeakReference<>(req.connection()));
        req.toWebSocket().onSuccess(ws -> {
          dropped.complete(Wire.dropHandshake(req.connection()));
          ws.textMessageHandler(t -> ws.writeTextMessage("echo " + t));
        });
      }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      // held: a client nothing references is closed by Vert.x's cleaner at the next garbage collection
      var client = vertx.createWebSocketClient();
      var ws = client.connect(server.actualPort(), "127.0.0.1", "/")
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertTrue(dropped.get(10, TimeUnit.SECONDS));
      Awaits.until("the HTTP connection the socket upgraded from is collected", java.time.Duration.ofSeconds(30),
          () -> {
            System.gc();
            return http.get().get() == null;
          });
      java.util.concurrent.CompletableFuture<String> echo = new java.util.concurrent.CompletableFuture<>();
      ws.textMessageHandler(echo::complete);
      ws.writeTextMessage("hi");
      assertEquals("echo hi", echo.get(10, TimeUnit.SECONDS), "the socket still carries frames both ways");
      assertFalse(Wire.dropHandshake(null));
      client.close();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
