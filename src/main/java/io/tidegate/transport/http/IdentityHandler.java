package io.tidegate.transport.http;

import io.tidegate.auth.AuthPolicy;
import io.tidegate.auth.Identity;
import io.tidegate.error.Problems;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Establishes who is calling before any route runs: the token from {@code Authorization: Bearer} or
 * {@code ?access_token=} (for EventSource and browsers' WebSocket, which cannot set headers), or without one the
 * TLS client certificate, verified by the one {@link AuthPolicy}. Routes read the result with
 * {@link #identity(RoutingContext)}. WebSocket handshakes and SSE requests are authenticated here too, before the
 * upgrade or the stream starts; a WebSocket handshake with no token and no certificate may authenticate afterwards,
 * with an {@code auth} frame ({@link #orAuthFrame}).
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
    X509Certificate certificate = token == null ? peerCertificate(ctx.request()) : null;
    if (later && token == null && certificate == null) {
      ctx.next();
      return;
    }
    Future<Identity> verified = policy.identify(token, certificate);
    if (verified.isComplete()) { // a cached token, an HMAC or PEM key: decided at once
      proceed(ctx, verified);
      return;
    }
    // keys are being fetched (JWKS): hold the body back for the BodyHandler of the route, which resumes it
    HttpServerRequest request = ctx.request();
    boolean hold = !request.isEnded();
    if (hold) {
      request.pause();
      ctx.addEndHandler(v -> request.resume());
    }
    verified.onComplete(ar -> proceed(ctx, verified));
  }

  private static void proceed(RoutingContext ctx, Future<Identity> verified) {
    if (verified.failed()) {
      Problems.send(ctx, verified.cause());
    } else {
      verified.result().attach(ctx);
      ctx.next();
    }
  }

  /** The caller's identity; anonymous before authentication or in mode none. */
  public static Identity identity(RoutingContext ctx) {
    return Identity.of(ctx);
  }

  /**
   * The client certificate the TLS handshake verified against {@code http.tls.clientCaPath} (the listener trusts
   * no other CA for clients); null on plain HTTP or when the client presented none.
   */
  public static X509Certificate peerCertificate(HttpServerRequest request) {
    if (!request.isSSL()) {
      return null;
    }
    try {
      List<Certificate> chain = request.connection().peerCertificates();
      return chain != null && !chain.isEmpty() && chain.get(0) instanceof X509Certificate x ? x : null;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  /** The bearer token of the request, from its header or its {@code access_token} parameter; null if none. */
  public static String token(HttpServerRequest request) {
    String header = request.getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return header.substring(7).trim();
    }
    return queryToken(request.uri());
  }

  /**
   * The first {@code access_token} parameter of a request URI, percent-decoded; null when absent, empty or badly
   * encoded. Read from the URI in place rather than through {@code getParam}: that would build the request's
   * parameter map, which a WebSocket keeps for its whole life (measured with 1,000 sockets: 0.45 KB each).
   */
  static String queryToken(String uri) {
    int q = uri == null ? -1 : uri.indexOf('?');
    if (q < 0) {
      return null;
    }
    for (int i = q + 1; i < uri.length(); ) {
      int end = uri.indexOf('&', i);
      end = end < 0 ? uri.length() : end;
      if (uri.startsWith("access_token=", i)) {
        try {
          String value = URLDecoder.decode(uri.substring(i + "access_token=".length(), end), StandardCharsets.UTF_8);
          return value.isBlank() ? null : value;
        } catch (IllegalArgumentException e) {
          return null; // a bad escape: no token, so 401
        }
      }
      i = end + 1;
    }
    return null;
  }
}
