package io.tidegate.auth;

import io.tidegate.error.ApiError;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keys from a JWKS URL, fetched with vertx-web-client and kept until a token names a {@code kid} they lack. Then
 * they are fetched again, so keys rotate without a restart; but one fetch at a time, and not again within
 * {@code minInterval} of the last, so a flood of tokens with made-up key ids cannot make a fetch storm.
 */
final class JwksKeys {
  private static final Logger LOG = LoggerFactory.getLogger(JwksKeys.class);
  /** A JWKS document is small; anything larger is not one. */
  private static final int MAX_BYTES = 256 * 1024;

  private final WebClient client;
  private final String url;
  private final long minIntervalMs;
  private final Function<List<JsonObject>, JWTAuth> build;
  private volatile JWTAuth current;
  private Future<JWTAuth> inFlight;
  private long lastFetchMs = Long.MIN_VALUE / 2;
  private int fetches;

  JwksKeys(Vertx vertx, String url, long minIntervalMs, JWTAuthOptions base) {
    this.client = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false)
        .setConnectTimeout(5000).setIdleTimeout(10));
    this.url = url;
    this.minIntervalMs = minIntervalMs;
    this.build = keys -> JWTAuth.create(vertx, new JWTAuthOptions(base).setJwks(keys));
  }

  /** The provider built from the last keys fetched, fetching them the first time. */
  synchronized Future<JWTAuth> provider() {
    JWTAuth auth = current;
    return auth != null ? Future.succeededFuture(auth) : refresh();
  }

  /**
   * Fetches the keys again (a token named an unknown key id). Joins a fetch under way; fails at once when the
   * last fetch is more recent than the minimum interval.
   */
  synchronized Future<JWTAuth> refresh() {
    if (inFlight != null) {
      return inFlight;
    }
    long now = System.currentTimeMillis();
    if (now - lastFetchMs < minIntervalMs) {
      return Future.failedFuture(ApiError.unauthorized("the token's key id is unknown"));
    }
    lastFetchMs = now;
    fetches++;
    Future<JWTAuth> f = client.getAbs(url).timeout(5000).send().map(resp -> {
      if (resp.statusCode() != 200 || resp.body() == null || resp.body().length() > MAX_BYTES) {
        throw new IllegalStateException("JWKS answered " + resp.statusCode());
      }
      JsonArray keys = resp.bodyAsJsonObject().getJsonArray("keys");
      List<JsonObject> usable = new ArrayList<>();
      for (Object k : keys) {
        if (k instanceof JsonObject jwk && !"enc".equals(jwk.getString("use"))) {
          usable.add(jwk);
        }
      }
      JWTAuth auth = build.apply(usable);
      current = auth;
      return auth;
    });
    inFlight = f;
    f.onComplete(ar -> {
      synchronized (this) {
        inFlight = null;
      }
      if (ar.failed()) {
        LOG.warn("Could not fetch the JWKS at {}: {}", url, ar.cause().getMessage());
      }
    });
    return f.recover(e -> Future.failedFuture(ApiError.unauthorized("the token's keys could not be fetched")));
  }

  /** How many times the keys were fetched (for tests and metrics). */
  synchronized int fetches() {
    return fetches;
  }
}
