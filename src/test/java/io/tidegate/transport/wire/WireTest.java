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
      var ws = vertx.createWebSocketClient().connect(server.actualPort(), "127.0.0.1", "/")
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertTrue(upgraded.get(10, TimeUnit.SECONDS), "the upgraded pipeline must still show Netty's frame decoder");
      assertFalse(closedSeen.isDone());
      ws.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertTrue(closedSeen.get(10, TimeUnit.SECONDS), "the close of an upgraded socket must be reported");
      assertFalse(Wire.upgraded(null));
      assertFalse(Wire.onSocketClosed(null, () -> { }));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
