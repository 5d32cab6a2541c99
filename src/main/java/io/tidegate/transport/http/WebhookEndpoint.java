package io.tidegate.transport.http;

import io.tidegate.error.ApiError;
import io.tidegate.error.Problems;
import io.tidegate.webhook.Webhooks;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The webhook API: {@code POST/GET /webhooks}, {@code GET/DELETE /webhooks/{name}}, {@code GET /webhooks/{name}/status},
 * {@code POST /webhooks/{name}/redrive}.
 */
public final class WebhookEndpoint {
  private final Webhooks webhooks;

  public WebhookEndpoint(Webhooks webhooks) {
    this.webhooks = webhooks;
  }

  public void create(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      throw ApiError.malformedJson("the body must be a JSON object: {\"name\",\"topics\",\"url\",...}");
    }
    if (body == null) {
      throw ApiError.malformedJson("the body is empty");
    }
    webhooks.create(body)
        .onSuccess(def -> {
          ctx.response().putHeader("Location", "/webhooks/" + def.name());
          Problems.json(ctx, 201, def.toJson());
        })
        .onFailure(e -> Problems.send(ctx, e));
  }

  public void list(RoutingContext ctx) {
    Problems.json(ctx, 200, Webhooks.toJson(webhooks.list()));
  }

  public void get(RoutingContext ctx) {
    Problems.json(ctx, 200, webhooks.get(ctx.pathParam("name")).toJson());
  }

  public void delete(RoutingContext ctx) {
    webhooks.delete(ctx.pathParam("name"))
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(e -> Problems.send(ctx, e));
  }

  public void status(RoutingContext ctx) {
    webhooks.status(ctx.pathParam("name"))
        .onSuccess(s -> Problems.json(ctx, 200, s))
        .onFailure(e -> Problems.send(ctx, e));
  }

  public void redrive(RoutingContext ctx) {
    webhooks.redrive(ctx.pathParam("name"))
        .onSuccess(r -> Problems.json(ctx, 202, r))
        .onFailure(e -> Problems.send(ctx, e));
  }
}
