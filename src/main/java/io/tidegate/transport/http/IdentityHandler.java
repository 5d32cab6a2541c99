package io.tidegate.transport.http;

import io.tidegate.auth.AuthPolicy;
import io.tidegate.auth.Identity;
import io.tidegate.error.Problems;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Establishes who is calling before any route runs: the token from {@code Authorization: Bearer} or
 * {@code ?access_token=} (for EventSource and browsers' WebSocket, which cannot set headers), verified by the
 * one {@link AuthPolicy}. Routes read the result with {@link #identity(RoutingContext)}. WebSocket handshakes
 * and SSE requests are authenticated here too, before the upgrade or the stream starts; a WebSocket handshake
 * with no token at all may authenticate afterwards, with an {@code auth} frame ({@link #orAuthFrame}).
 */
public final class IdentityHandler implements Handler<RoutingContext> {

  private final AuthPolicy policy;
  private final boolean later;

  public IdentityHandler(AuthPolicy policy) {
    this(policy, false);
  }

  private IdentityHandler(AuthPolicy policy, boolean later) {
    this.policy = policy;
    this.later = later;
  }

  /**
   * For {@code /ws}: a handshake with no token at all passes with no identity established, and the socket must
   * authenticate with an {@code auth} frame; a handshake with a bad token is refused like any request.
   */
  public static IdentityHandler orAuthFrame(AuthPolicy policy) {
    return new IdentityHandler(policy, true);
  }

  @Override
  public void handle(RoutingContext ctx) {
    String token = token(ctx.request());
    if (later && token == null) {
      ctx.next();
      return;
    }
    policy.identify(token).onComplete(ar -> {
      if (ar.failed()) {
        Problems.send(ctx, ar.cause());
      } else {
        ar.result().attach(ctx);
        ctx.next();
      }
    });
  }

  /** The caller's identity; anonymous before authentication or in mode none. */
  public static Identity identity(RoutingContext ctx) {
    return Identity.of(ctx);
  }

  /** The bearer token of the request, from its header or its {@code access_token} parameter; null if none. */
  public static String token(HttpServerRequest request) {
    String header = request.getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return header.substring(7).trim();
    }
    String query = request.getParam("access_token");
    return query == null || query.isBlank() ? null : query;
  }
}
