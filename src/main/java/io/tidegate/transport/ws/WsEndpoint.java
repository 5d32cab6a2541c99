package io.tidegate.transport.ws;

import io.tidegate.auth.AuthPolicy;
import io.tidegate.auth.Deadlines;
import io.tidegate.auth.Identity;
import io.tidegate.auth.SubjectLimits;

import io.tidegate.error.ApiError;
import io.tidegate.error.Problems;
import io.tidegate.publish.PublishService;
import io.tidegate.stream.StreamContext;
import io.tidegate.transport.wire.FrameWriter;
import io.tidegate.transport.wire.Wire;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /ws}: upgrades to a WebSocket and gives it a session on this event loop. Every socket of the loop is
 * pinged every {@code ws.pingSeconds} (one timer per loop); sockets are kept alive by pings, so the HTTP idle
 * timeout does not apply to them.
 */
public final class WsEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(WsEndpoint.class);
  private final StreamContext wsContext;
  private final PublishService publishing;
  private final long publishTimeoutMs;
  /** This loop's sockets, each with its session and its publisher (which counts its publishes in flight). */
  private final Map<ServerWebSocket, Open> open = new HashMap<>();

  private record Open(WsSession session, WsPublisher publisher) {}
  private final long pingTimer;
  private final AuthPolicy policy;
  /** When this loop's sockets must have authenticated, or their tokens lapse: one timer for them all. */
  private final Deadlines deadlines;

  /** @param context this event loop's streaming context (its fan-out, shared with SSE streams) */
  public WsEndpoint(StreamContext context, PublishService publishing, Duration publishTimeout, AuthPolicy policy) {
    this.wsContext = context;
    this.policy = policy;
    this.deadlines = new Deadlines(context.context().owner());
    this.publishing = publishing;
    this.publishTimeoutMs = publishTimeout.toMillis();
    long every = context.config().pingSeconds() * 1000L;
    pingTimer = context.context().owner().setPeriodic(every, every,
        t -> List.copyOf(open.values()).forEach(o -> o.session().keepAlive()));
  }

  public void handle(RoutingContext ctx) {
    if (!"websocket".equalsIgnoreCase(ctx.request().getHeader("Upgrade"))) {
      Problems.send(ctx.response(), ApiError.badRequest("/ws takes a WebSocket handshake (Upgrade: websocket)"));
      return;
    }
    // verified before the upgrade (IdentityHandler); in mode jwt none when the socket will send an auth frame
    Identity identity = policy.required() ? Identity.established(ctx) : Identity.ANONYMOUS;
    // limits.maxConnectionsPerSubject: refused with 429 before the upgrade, counted until the socket closes (a
    // socket that authenticates by frame is counted then, and closed with 1013 when over: WsAuth)
    SubjectLimits.Slot slot = identity == null ? null : policy.access(identity).openConnection();
    HttpConnection connection = ctx.request().connection();
    Wire.consolidateFlushes(connection);
    ctx.request().toWebSocket()
        .onSuccess(ws -> {
          Wire.upgraded(connection);
          Wire.leanQueues(connection); // ~9 KiB less per idle socket
          Wire.dropHandshake(connection); // ~1.5 KiB less: the upgrade request and HTTP connection go
          wsContext.sessions().incrementAndGet();
          WsPublisher publisher = new WsPublisher(publishing, wsContext.context().owner(), publishTimeoutMs);
          FrameWriter frames = FrameWriter.of(connection, wsContext.context());
          open.put(ws, new Open(new WsSession(ws, frames, wsContext, publisher, policy, deadlines, identity, slot,
              () -> open.remove(ws)), publisher));
        })
        .onFailure(e -> {
          if (slot != null) {
            slot.release();
          }
          // an ordinary bad handshake (no key, wrong version...): one line, and Vert.x has answered it already
          LOG.debug("WebSocket handshake refused: {}", e.toString());
          Problems.send(ctx.response(), ApiError.badRequest("the WebSocket handshake is invalid: " + e.getMessage()));
        });
  }

  /**
   * Graceful stop: every socket of this event loop drains ({@link WsDrain}: a {@code draining} frame with its
   * offsets, its publishes answered, close 1012). Completes once every close frame is sent; it does not wait for
   * the clients' replies (a client that stopped reading never sends one): the listener's grace bounds the rest.
   */
  public io.vertx.core.Future<Void> drainAll() {
    wsContext.context().owner().cancelTimer(pingTimer);
    deadlines.stop();
    List<io.vertx.core.Future<Void>> drains = new java.util.ArrayList<>();
    // a socket's session leaves the map when it closes: iterate over a copy
    Map.copyOf(open).forEach((ws, o) -> drains.add(WsDrain.drain(ws, o.session(), o.publisher())));
    return io.vertx.core.Future.join(drains).mapEmpty();
  }
}
