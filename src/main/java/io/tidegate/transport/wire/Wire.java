package io.tidegate.transport.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.core.http.impl.websocket.WebSocketFrameImpl;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * The one place Tidegate reaches into Vert.x internals, for the fan-out's sake: writing the shared, already
 * encoded bytes of a record without copying them per client, and batching a connection's flushes. Each has a
 * public-API fallback in spirit (copy the bytes, flush per write); {@code WireTest} fails if an upgrade of
 * Vert.x moves these.
 */
public final class Wire {
  /**
   * At most this many flushes are held back before one goes out (Netty's explicitFlushAfterFlushes): a
   * client's share of a batch leaves in flushes of up to 16 writes, and between them the kernel takes what
   * the client has room for, so the bytes counted against the budget are the ones the client did not take.
   */
  public static final int FLUSHES_PER_WRITE = 16;
  private static final String HANDLER = "tidegate-flush-consolidation";

  private Wire() {}

  /** A Vert.x buffer over {@code bytes}, sharing them (no copy); the caller hands over one reference. */
  public static Buffer buffer(ByteBuf bytes) {
    return BufferInternal.buffer(bytes);
  }

  /** A final text frame over {@code bytes}, sharing them (no copy). */
  public static WebSocketFrame textFrame(ByteBuf bytes) {
    return new WebSocketFrameImpl(WebSocketFrameType.TEXT, bytes, true);
  }

  /**
   * A connection just upgraded to a WebSocket: the HTTP idle timeout stops applying to it (the WebSocket
   * endpoint keeps sockets by pings instead), and text messages are checked to be UTF-8 as they arrive, by
   * Netty's {@link Utf8FrameValidator}, whose failure names close code 1007. Vert.x does neither by itself.
   * Only HTTP/1.1 connections upgrade (Vert.x takes no WebSocket over HTTP/2), so this never meets one.
   */
  public static boolean upgraded(HttpConnection connection) {
    if (!(connection instanceof HttpServerConnection c)) {
      return false;
    }
    ChannelPipeline pipeline = c.channelHandlerContext().pipeline();
    if (pipeline.get(IdleStateHandler.class) != null) {
      pipeline.remove(IdleStateHandler.class);
    }
    ChannelHandlerContext decoder = pipeline.context(WebSocketFrameDecoder.class);
    if (decoder != null && pipeline.get(Utf8FrameValidator.class) == null) {
      pipeline.addAfter(decoder.name(), "tidegate-utf8", new Utf8FrameValidator(false));
    }
    return decoder != null;
  }

  /**
   * Vert.x flushes the socket after every write made outside a read, so a batch of records fanned out to a
   * connection would cost one system call per record. Netty's {@link FlushConsolidationHandler} turns the
   * flushes of one event-loop task into one. With TLS it sits between the TLS handler and the socket (it is
   * added first), so it holds back flushes of encrypted bytes; on an HTTP/2 connection it does so for all the
   * connection's streams alike. Returns false (and the connection works as before, one flush per write) when
   * the connection is not one Vert.x's HTTP server made.
   */
  public static boolean consolidateFlushes(HttpConnection connection) {
    if (!(connection instanceof HttpServerConnection c)) {
      return false;
    }
    ChannelPipeline pipeline = c.channelHandlerContext().pipeline();
    if (pipeline.get(HANDLER) == null) {
      pipeline.addFirst(HANDLER, new FlushConsolidationHandler(FLUSHES_PER_WRITE, true));
    }
    return true;
  }

  /**
   * Lightens a long-lived connection by about 4.7 KiB for each Vert.x connection object on its socket (two for a
   * socket upgraded to a WebSocket: the HTTP/1.1 one it upgraded from stays reachable, and the WebSocket's own;
   * one for an SSE stream): the storage of their outbound queues, allocated for a backlog whether one ever forms
   * or not, is swapped for one that grows with what it holds ({@link LeanQueues}); what is written, and when, is
   * as before. Call on the connection's event loop, right after the upgrade or before a stream's first write.
   * Returns how many queues were lightened (0 for anything that is not Vert.x's HTTP server connection, or when
   * Vert.x's internals moved: see WireTest).
   */
  public static int leanQueues(HttpConnection connection) {
    if (!(connection instanceof HttpServerConnection c)) {
      return 0;
    }
    int n = LeanQueues.lighten(connection) ? 1 : 0;
    for (java.util.Map.Entry<String, io.netty.channel.ChannelHandler> e : c.channelHandlerContext().pipeline()) {
      if (e.getValue() instanceof io.vertx.core.net.impl.VertxHandler<?> h && h.getConnection() != connection
          && LeanQueues.lighten(h.getConnection())) {
        n++;
      }
    }
    return n;
  }

  /**
   * After an upgrade to a WebSocket, lets go of what only the handshake needed: the upgrade request, its response
   * and headers and the HTTP/1.1 connection object stay reachable from Vert.x's WebSocket handler otherwise, for
   * as long as the socket lives (about 1.5 KiB; {@link UpgradeLeftovers}). Call on the connection's event loop
   * once the upgrade succeeded. Returns false, doing nothing, when the connection is not one Vert.x's HTTP server
   * made, or when Vert.x's internals moved (see WireTest).
   */
  public static boolean dropHandshake(HttpConnection connection) {
    if (!(connection instanceof HttpServerConnection c)) {
      return false;
    }
    return UpgradeLeftovers.drop(c.channelHandlerContext().pipeline(), connection) > 0;
  }

  /**
   * Runs {@code action} once the connection's socket has closed, also when it was upgraded to a WebSocket
   * (Vert.x stops calling the HttpConnection's close handler after an upgrade). Returns false, doing nothing,
   * when the connection is not one Vert.x's HTTP server made.
   */
  public static boolean onSocketClosed(HttpConnection connection, Runnable action) {
    if (!(connection instanceof HttpServerConnection c)) {
      return false;
    }
    c.channelHandlerContext().channel().closeFuture().addListener(f -> action.run());
    return true;
  }

  /**
   * The listening socket the connection was accepted on (Netty's server channel), or null when the connection
   * is not one Vert.x's HTTP server made. Closing it stops accepting at once (new connections are refused by the
   * kernel) without touching the connections already open, which Vert.x's own shutdown closes when idle, also
   * those accepted a moment ago whose request is still on its way: the graceful stop closes this first.
   */
  public static io.netty.channel.Channel listener(HttpConnection connection) {
    if (!(connection instanceof HttpServerConnection c)) {
      return null;
    }
    return c.channelHandlerContext().channel().parent();
  }
}
