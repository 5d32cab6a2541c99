package io.tidegate.transport.http;

import io.tidegate.error.ApiError;
import io.tidegate.error.Problems;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Stops other web sites from using a visitor's browser against the gateway: a WebSocket handshake, an SSE
 * request or any request that changes state, carrying an {@code Origin} that is neither the gateway's own nor in
 * {@code http.allowedOrigins}, is refused with 403 (a {@code text/plain} POST is a CORS "simple request" that a
 * browser sends without asking). Allowed origins get CORS headers from vertx-web's {@link CorsHandler}.
 */
public final class OriginGuard implements Handler<RoutingContext> {
  private static final Set<HttpMethod> SAFE = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

  private final List<Pattern> allowed;

  public OriginGuard(List<String> allowedOrigins) {
    this.allowed = allowedOrigins.stream().map(OriginGuard::pattern).toList();
  }

  /** CORS for the allowed origins (preflight answered), or null when none are configured. */
  public CorsHandler cors() {
    if (allowed.isEmpty()) {
      return null;
    }
    CorsHandler cors = CorsHandler.create();
    allowed.forEach(p -> cors.addOriginWithRegex(p.pattern()));
    return cors.allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE, HttpMethod.HEAD))
        .allowedHeaders(Set.of("Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"))
        .maxAgeSeconds(600);
  }

  @Override
  public void handle(RoutingContext ctx) {
    String origin = ctx.request().getHeader("Origin");
    if (origin == null || !guarded(ctx) || own(origin, ctx) || allowed(origin)) {
      ctx.next();
      return;
    }
    Problems.send(ctx.response(), ApiError.forbidden("requests from origin " + origin + " are not allowed here"));
  }

  public boolean allowed(String origin) {
    for (Pattern p : allowed) {
      if (p.matcher(origin).matches()) {
        return true;
      }
    }
    return false;
  }

  private static boolean guarded(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    return !SAFE.contains(ctx.request().method()) || "/ws".equals(path) || "/events".equals(path);
  }

  /** The page was served by this gateway: its origin names the host the request was sent to. */
  private static boolean own(String origin, RoutingContext ctx) {
    String host = ctx.request().authority() == null ? null : ctx.request().authority().toString();
    return host != null && (origin.equalsIgnoreCase("http://" + host) || origin.equalsIgnoreCase("https://" + host));
  }

  /** {@code https://*.example.com} matches one or more labels where the star stands. */
  static Pattern pattern(String origin) {
    StringBuilder re = new StringBuilder();
    for (String part : origin.split("\\*", -1)) {
      if (re.length() > 0) {
        re.append("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*");
      }
      re.append(Pattern.quote(part));
    }
    return Pattern.compile("(?i)" + re);
  }
}
