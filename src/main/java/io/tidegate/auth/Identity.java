package io.tidegate.auth;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Who is calling and what they may do, decided once per connection (or per HTTP request, through a cache).
 *
 * @param subject     the token's {@code sub}, or the client certificate's common name (CN); null when anonymous
 * @param expiresAtMs when the token (or the client certificate) expires (epoch ms), or 0 for never (anonymous)
 */
public record Identity(String subject, long expiresAtMs, Permissions permissions) {

  /** Mode {@code none}: nobody in particular, allowed everything but Kafka's internal topics. */
  public static final Identity ANONYMOUS = new Identity(null, 0, Permissions.ALL);

  private static final String KEY = "tidegate.identity";

  /** The identity established for this request (anonymous when none was). */
  public static Identity of(RoutingContext ctx) {
    Identity id = ctx.get(KEY);
    return id == null ? ANONYMOUS : id;
  }

  /** The identity established for this request, or null when none was (a WebSocket that authenticates later). */
  public static Identity established(RoutingContext ctx) {
    return ctx.get(KEY);
  }

  /** Establishes the identity of this request, for the routes after. */
  public void attach(RoutingContext ctx) {
    ctx.put(KEY, this);
  }

  public boolean expired(long nowMs) {
    return expiresAtMs > 0 && nowMs >= expiresAtMs;
  }

  /** {@code GET /me}: {@code {"subject","expires","permissions"}}. */
  public JsonObject toJson() {
    return new JsonObject().put("subject", subject).put("expires", expiresAtMs > 0 ? expiresAtMs / 1000 : null)
        .put("permissions", permissions.toJson());
  }
}
