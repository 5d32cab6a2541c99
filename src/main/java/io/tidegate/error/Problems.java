package io.tidegate.error;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place HTTP responses are written: problems as application/problem+json, results as JSON. */
public final class Problems {
  private static final Logger LOG = LoggerFactory.getLogger(Problems.class);
  public static final String PROBLEM_JSON = "application/problem+json";
  public static final String JSON = "application/json";

  private Problems() {}

  /** Renders any failure as a problem; a failure that is not an {@link ApiError} is mapped first. */
  public static void send(RoutingContext ctx, Throwable failure) {
    ApiError e = ErrorMapper.toApiError(failure);
    if (LOG.isDebugEnabled()) {
      LOG.debug("{} {} answered {}: {}", ctx.request().method(), ctx.request().path(), e.status(),
          failure instanceof ApiError ? e.detail() : String.valueOf(ErrorMapper.unwrap(failure)));
    }
    send(ctx.response(), e);
  }

  public static void send(HttpServerResponse response, ApiError e) {
    if (response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(e.status()).putHeader("Content-Type", PROBLEM_JSON);
    if (e.status() == 401) {
      response.putHeader("WWW-Authenticate", "Bearer");
    }
    if (e.retryAfterSeconds() > 0) {
      response.putHeader("Retry-After", String.valueOf(e.retryAfterSeconds()));
    }
    response.end(e.toJson().toBuffer());
  }

  public static void json(RoutingContext ctx, int status, Buffer body) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(status).putHeader("Content-Type", JSON).end(body);
  }

  public static void json(RoutingContext ctx, int status, JsonObject body) {
    json(ctx, status, body.toBuffer());
  }

  public static void json(RoutingContext ctx, int status, JsonArray body) {
    json(ctx, status, body.toBuffer());
  }
}
