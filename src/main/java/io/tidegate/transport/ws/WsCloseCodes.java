package io.tidegate.transport.ws;

import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;

/**
 * The one place a failure on a socket becomes a close code (RFC 6455, section 7.4.1): 1002 for a protocol
 * violation (a continuation without a start, RSV bits, an unmasked client frame, a control frame over 125
 * bytes), 1007 for a text message that is not UTF-8, 1009 for a message over {@code ws.maxFrameBytes}.
 */
final class WsCloseCodes {
  static final short PROTOCOL_ERROR = 1002;
  static final short INVALID_PAYLOAD = 1007;
  /** The client answered none of two pings and took no byte meanwhile. */
  static final short POLICY = 1008;
  static final short TOO_BIG = 1009;
  /** Overloaded: a per-subject connection limit reached by a socket that authenticated by frame. */
  static final short OVERLOADED = 1013;

  private WsCloseCodes() {}

  /** The close code for a failure, or -1 when the failure is the connection's own (it is gone already). */
  static short forFailure(Throwable failure) {
    if (failure instanceof CorruptedWebSocketFrameException c && c.closeStatus() != null) {
      return (short) c.closeStatus().code(); // Netty's decoder and UTF-8 validator name the code
    }
    if (failure instanceof IllegalStateException e && e.getMessage() != null
        && e.getMessage().contains("max message size")) {
      return TOO_BIG; // Vert.x's aggregation of a fragmented message went over the limit
    }
    return -1;
  }

  /** A short reason for the close frame (at most 123 bytes). */
  static String reason(short code) {
    return switch (code) {
      case PROTOCOL_ERROR -> "protocol error";
      case INVALID_PAYLOAD -> "text is not UTF-8";
      case POLICY -> "no pong";
      case TOO_BIG -> "message too big";
      default -> "";
    };
  }
}
