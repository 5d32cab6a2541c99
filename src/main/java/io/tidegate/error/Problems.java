package io.tidegate.error;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** The one place HTTP responses are written: problems as application/problem+json, results as JSON. */
public final class Problems {
  public static final String PROBLEM_JSON = "application/problem+json";
  public static final String JSON = "application/json";

  private Problems() {}

  /** Renders any failure as a problem; a failure that is not an {@link ApiError} is mapped first. */
  public static void send(RoutingContext ctx, Throwable failure) {
    send(ctx.response(), ErrorMapper.toApiError(failure));
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
