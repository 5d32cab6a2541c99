package io.tidegate.transport.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandler;
import io.tidegate.codec.TextFrames;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;
import java.nio.ByteBuffer;
import java.util.Map;

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
 * the TLS handler as before, which sits nearer the socket; a flush passes the flush consolidation (see
 * {@link #of}), so a pass is written, and completes, within the pass. Vert.x's own counters of
 * bytes written ({@code vertx_http_server_bytes_written}) do not see them. Used on the connection's event loop
 * only.
 */
public final class FrameWriter {
  /**
   * Where a write starts: the frame encoder's context (a write from it goes on toward the socket without passing
   * the encoder), or the flush consolidation's (see {@link #of}).
   */
  private final ChannelHandlerContext ctx;
  /** Where a flush starts: past the flush consolidation when nothing else lies between it and the socket. */
  private final ChannelHandlerContext flushFrom;
  private final ContextInternal context;
  /**
   * The last frame written, not yet handed to the channel: the next flush hands it over with the pass's
   * completion, so a pass costs no entry in the channel's queue besides its frames (not an empty marker after).
   */
  private ByteBuf held;

  private FrameWriter(ChannelHandlerContext ctx, ChannelHandlerContext flushFrom, ContextInternal context) {
    this.ctx = ctx;
    this.flushFrom = flushFrom;
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
    ChannelPipeline pipeline = c.channelHandlerContext().pipeline();
    ChannelHandlerContext encoder = pipeline.context(WebSocketFrameEncoder.class);
    if (encoder == null) {
      return null;
    }
    // The consolidation handler is added first (nearest the socket): flushing from its context skips it. It
    // defers every flush made outside a read to a task of its own, and the write's completion, coming from that
    // task and not from the pass, to another task; a pass flushes once anyway. With TLS, the TLS handler must see
    // the flush (it encrypts then), so it goes the whole way. Writes start there too when no other outbound
    // handler lies between (one hop to the socket, not three).
    ChannelHandlerContext first = pipeline.firstContext();
    boolean skip = first != null && first.handler() instanceof FlushConsolidationHandler
        && pipeline.get(SslHandler.class) == null;
    if (!skip) {
      return new FrameWriter(encoder, encoder, (ContextInternal) context);
    }
    return new FrameWriter(onlyInboundBetween(pipeline, first, encoder) ? first : encoder, first,
        (ContextInternal) context);
  }

  /** Whether every handler after {@code from} and before {@code to} only reads (so a write may pass them by). */
  private static boolean onlyInboundBetween(ChannelPipeline pipeline, ChannelHandlerContext from,
      ChannelHandlerContext to) {
    boolean between = false;
    for (Map.Entry<String, ChannelHandler> e : pipeline) {
      if (e.getKey().equals(to.name())) {
        return true;
      }
      if (between && e.getValue() instanceof ChannelOutboundHandler) {
        return false;
      }
      between |= e.getKey().equals(from.name());
    }
    return false;
  }

  /**
   * Writes a frame made by {@link TextFrames#shared}; it goes out, and completes, with the next {@link #flush},
   * which the caller makes in the same task.
   */
  public void writeShared(ByteBuf frame) {
    if (ctx.channel().isActive()) {
      hold(frame.duplicate());
    }
  }

  /** Writes a text frame around {@code payload} (taking it over); it goes out with the next {@link #flush}. */
  public void writeText(ByteBuf payload) {
    try {
      if (ctx.channel().isActive()) {
        int n = payload.readableBytes();
        ByteBuf frame = ctx.alloc().directBuffer(TextFrames.MAX_HEADER + n);
        ByteBuffer header = ByteBuffer.allocate(TextFrames.MAX_HEADER);
        TextFrames.header(header, n);
        frame.writeBytes(header.flip()).writeBytes(payload);
        hold(frame);
      }
    } finally {
      payload.release();
    }
  }

  /** Hands the frame held before to the channel, and holds this one. */
  private void hold(ByteBuf frame) {
    if (held != null) {
      ctx.write(held, ctx.voidPromise());
    }
    held = frame;
  }

  /**
   * Flushes; the future completes once every frame written before has gone to the kernel, or failed (the
   * connection closed): the last frame's write (or, with none held, a marker of no bytes) carries the
   * completion, and a connection completes its writes in order.
   */
  public Future<Void> flush() {
    PromiseInternal<Void> done = context.promise();
    ChannelPromise last = ctx.newPromise();
    last.addListener(done);
    ByteBuf frame = held != null ? held : Unpooled.EMPTY_BUFFER;
    held = null;
    ctx.write(frame, last);
    flushFrom.flush();
    return done.future();
  }
}
