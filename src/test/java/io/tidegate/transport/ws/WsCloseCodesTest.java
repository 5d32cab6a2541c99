package io.tidegate.transport.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import org.junit.jupiter.api.Test;

class WsCloseCodesTest {
  @Test
  void nettysFailuresKeepTheCodeTheyName() {
    assertEquals(1002, WsCloseCodes.forFailure(new CorruptedWebSocketFrameException(WebSocketCloseStatus.PROTOCOL_ERROR, "rsv")));
    assertEquals(1007, WsCloseCodes.forFailure(new CorruptedWebSocketFrameException(WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "utf8")));
    assertEquals(1009, WsCloseCodes.forFailure(new CorruptedWebSocketFrameException(WebSocketCloseStatus.MESSAGE_TOO_BIG, "big")));
  }

  @Test
  void vertxsAggregationOverTheLimitIs1009() {
    assertEquals(1009, WsCloseCodes.forFailure(new IllegalStateException(
        "Cannot process text frame of size 3000, it would cause message buffer (size 3000) to overflow max message size of 4096")));
  }

  @Test
  void theConnectionsOwnFailuresNameNoCode() {
    assertEquals(-1, WsCloseCodes.forFailure(new io.vertx.core.VertxException("Connection was closed", true)));
    assertEquals(-1, WsCloseCodes.forFailure(new IllegalStateException("something else")));
  }
}
