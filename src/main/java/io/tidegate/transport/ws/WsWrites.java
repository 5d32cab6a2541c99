package io.tidegate.transport.ws;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tidegate.stream.FeedRecord;
import io.tidegate.transport.wire.FrameWriter;
import io.tidegate.transport.wire.Wire;
import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;

/**
 * A WebSocket session's data frames: straight into the channel by a {@link FrameWriter} (live records as views
 * of their frame, encoded once for all sockets; one completion per pass), or through Vert.x's WebSocket when
 * the connection has no writer. All of a session's data frames go one way, so they keep their order.
 * Used on the socket's event loop only.
 */
final class WsWrites {
  private static final io.vertx.core.buffer.Buffer PING = io.vertx.core.buffer.Buffer.buffer("tidegate");
  private final ServerWebSocket ws;
  private final FrameWriter frames;
  /** Frames were written since the last flush (by the writer), or the last live write (through Vert.x). */
  private boolean unflushed;
  private Future<Void> last;

  WsWrites(ServerWebSocket ws, FrameWriter frames) {
    this.ws = ws;
    this.frames = frames;
  }

  /** A ping (Vert.x's: a control frame may come between data frames). */
  void ping() {
    ws.writePing(PING);
  }

  /** A text frame of {@code bytes} (taken over); completes once written, or failed. */
  Future<Void> text(ByteBuf bytes) {
    if (frames == null) {
      return ws.writeFrame(Wire.textFrame(bytes));
    }
    if (ws.isClosed()) {
      bytes.release();
      return Future.failedFuture("the WebSocket is closed");
    }
    frames.writeText(bytes);
    return frames.flush();
  }

  /** Writes a live record's frame; returns its bytes. Its completion comes with {@link #flushLive}. */
  int live(FeedRecord r) {
    if (frames == null) {
      ByteBuf b = Unpooled.wrappedBuffer(r.frame());
      int n = b.readableBytes();
      last = ws.writeFrame(Wire.textFrame(b));
      return n;
    }
    ByteBuf frame = r.wsFrame();
    if (!ws.isClosed()) {
      frames.writeShared(frame);
      unflushed = true;
    }
    return frame.readableBytes();
  }

  /** After a pass of live records: completes once they are all written; null when the pass wrote none. */
  Future<Void> flushLive() {
    Future<Void> done = last;
    last = null;
    if (unflushed) {
      unflushed = false;
      done = frames.flush();
    }
    return done;
  }
}
