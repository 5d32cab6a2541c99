package io.tidegate.transport.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.RawWebSocket;
import io.tidegate.testing.RawWebSocket.Frame;
import io.tidegate.testing.TestGateway;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Frames that break RFC 6455 close the socket with the code the RFC names, sent before the connection ends. */
@GatewayIT
class WsFramingIT {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(new io.vertx.core.json.JsonObject()
        .put("ws", new io.vertx.core.json.JsonObject().put("maxFrameBytes", 4096)));
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  private static int closeCodeAfter(Consumer<RawWebSocket> send) {
    try (RawWebSocket ws = RawWebSocket.connect(gw)) {
      // the socket works before the bad frame
      ws.text("{\"type\":\"ping\",\"id\":\"before\"}");
      Frame pong = ws.next(30_000);
      assertNotNull(pong);
      assertEquals(RawWebSocket.TEXT, pong.opcode(), pong.text());
      send.accept(ws);
      Frame close = ws.awaitClose(30_000);
      assertNotNull(close, "a close frame is sent before the connection ends");
      return close.closeCode();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aContinuationWithoutAStartIsAProtocolError() {
    assertEquals(1002, closeCodeAfter(ws -> ws.frame(true, 0, RawWebSocket.CONTINUATION, true, bytes("{}"))));
  }

  @Test
  void rsvBitsWithoutAnExtensionAreAProtocolError() {
    assertEquals(1002, closeCodeAfter(ws -> ws.frame(true, 0b100, RawWebSocket.TEXT, true, bytes("{}"))));
  }

  @Test
  void anUnmaskedClientFrameIsAProtocolError() {
    assertEquals(1002, closeCodeAfter(ws -> ws.frame(true, 0, RawWebSocket.TEXT, false, bytes("{\"type\":\"ping\"}"))));
  }

  @Test
  void aControlFrameOver125BytesIsAProtocolError() {
    assertEquals(1002, closeCodeAfter(ws -> ws.frame(true, 0, RawWebSocket.PING, true, new byte[200])));
  }

  @Test
  void invalidUtf8InATextFrameCloses1007() {
    byte[] bad = {'{', '"', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    assertEquals(1007, closeCodeAfter(ws -> ws.frame(true, 0, RawWebSocket.TEXT, true, bad)));
  }

  @Test
  void invalidUtf8SplitOverFragmentsCloses1007() {
    assertEquals(1007, closeCodeAfter(ws -> {
      ws.frame(false, 0, RawWebSocket.TEXT, true, new byte[] {'"', (byte) 0xE2, (byte) 0x82});
      ws.frame(true, 0, RawWebSocket.CONTINUATION, true, new byte[] {'x', '"'});
    }));
  }

  @Test
  void aFragmentedMessageOverTheLimitCloses1009() {
    assertEquals(1009, closeCodeAfter(ws -> {
      ws.frame(false, 0, RawWebSocket.TEXT, true, bytes("\"" + "a".repeat(3000)));
      ws.frame(true, 0, RawWebSocket.CONTINUATION, true, bytes("b".repeat(3000) + "\""));
    }));
  }

  @Test
  void aFragmentedMessageWithinTheLimitIsServed() {
    try (RawWebSocket ws = RawWebSocket.connect(gw)) {
      ws.frame(false, 0, RawWebSocket.TEXT, true, bytes("{\"type\":\"pi"));
      ws.frame(true, 0, RawWebSocket.CONTINUATION, true, bytes("ng\",\"id\":\"frag\"}"));
      Frame pong = ws.next(30_000);
      assertNotNull(pong);
      assertEquals("{\"type\":\"pong\",\"id\":\"frag\"}", pong.text());
    }
  }

  @Test
  void aBadHandshakeAnswers400() {
    io.tidegate.testing.Http.Response r = io.tidegate.testing.Http.get(gw.url("/ws"));
    assertEquals(400, r.status(), r.body());
    assertEquals("https://tidegate.io/problems/bad-request", new io.vertx.core.json.JsonObject(r.body()).getString("type"));
    Awaits.until("the gateway is still serving", () -> io.tidegate.testing.Http.get(gw.url("/health/live")).status() == 200);
  }
}
