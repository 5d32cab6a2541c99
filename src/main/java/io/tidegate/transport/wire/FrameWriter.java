package io.tidegate.transport.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;
import java.nio.ByteBuffer;

/**
 * Writes a WebSocket's text frames straight into its channel, past Vert.x's WebSocket and Netty's frame encoder
 * (which copies every frame under 1 KiB into a new buffer): per frame, Vert.x made a frame, a Netty frame, a
 * promise, a channel promise and a queued write, and the encoder a buffer and two NIO views to copy into it,
 * most of the event loops' allocation at 1,000 sockets x 50 records/s. Here a live record's frame is encoded
 * once, header and all (a server's frames are not masked, so every client gets the same bytes), and each
 * client's write is a view of it; a pass of frames costs one completion, by a marker after its last frame.
 *
 * <p>Every frame of the session goes this way, so they stay in order among themselves; Vert.x's own frames
 * (pings, pongs, the close frame) are control frames, which may come between whole data frames. Writes reach
 * the TLS handler and the flush consolidation as before, which sit nearer the socket. Used on the connection's
 * event loop only.
 */
public final class FrameWriter {
  private static final int MAX_HEADER = 10;

  /** The frame encoder's context: a write from it goes on toward the socket without passing the encoder. */
  private final ChannelHandlerContext ctx;
  private final ContextInternal context;

  private FrameWriter(ChannelHandlerContext ctx, ContextInternal context) {
    this.ctx = ctx;
    this.context = context;
  }

  /**
   * The writer of an upgraded WebSocket connection, or null (write through Vert.x then) when the connection is
   * not one Vert.x's HTTP server made or has no WebSocket frame encoder.
   */
  public static FrameWriter of(HttpConnection connection, Context context) {
    if (!(connection instanceof HttpServerConnection c)) {
      return null;
    }
    ChannelHandlerContext encoder = c.channelHandlerContext().pipeline().context(WebSocketFrameEncoder.class);
    return encoder == null ? null : new FrameWriter(encoder, (ContextInternal) context);
  }

  /**
   * A final, unmasked text frame holding {@code payload}, header and all, in memory the socket writes from
   * without a copy: shared read-only by every writer (each writes its own view), freed by the garbage collector.
   */
  public static ByteBuf sharedTextFrame(byte[] payload) {
    ByteBuffer frame = ByteBuffer.allocateDirect(MAX_HEADER + payload.length);
    header(frame, payload.length);
    frame.put(payload).flip();
    return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(frame));
  }

  /** Writes a frame made by {@link #sharedTextFrame}; its completion comes with the next {@link #flush}. */
  public void writeShared(ByteBuf frame) {
    if (ctx.channel().isActive()) {
      ctx.write(frame.duplicate(), ctx.voidPromise());
    }
  }

  /** Writes a text frame around {@code payload} (taking it over); its completion comes with the next {@link #flush}. */
  public void writeText(ByteBuf payload) {
    try {
      if (ctx.channel().isActive()) {
        int n = payload.readableBytes();
        ByteBuf frame = ctx.alloc().directBuffer(MAX_HEADER + n);
        ByteBuffer header = ByteBuffer.allocate(MAX_HEADER);
        header(header, n);
        frame.writeBytes(header.flip()).writeBytes(payload);
        ctx.write(frame, ctx.voidPromise());
      }
    } finally {
      payload.release();
    }
  }

  /**
   * Flushes; the future completes once every frame written before has gone to the kernel, or failed (the
   * connection closed): a marker of no bytes written after them completes when they are done, in order.
   */
  public Future<Void> flush() {
    PromiseInternal<Void> done = context.promise();
    ChannelPromise marker = ctx.newPromise();
    marker.addListener(done);
    ctx.write(Unpooled.EMPTY_BUFFER, marker);
    ctx.flush();
    return done.future();
  }

  /** RFC 6455 section 5.2: FIN and the text opcode, no mask, the payload length in 1, 3 or 9 bytes. */
  private static void header(ByteBuffer out, int length) {
    out.put((byte) 0x81);
    if (length <= 125) {
      out.put((byte) length);
    } else if (length <= 0xFFFF) {
      out.put((byte) 126).putShort((short) length);
    } else {
      out.put((byte) 127).putLong(length);
    }
  }
}
