package io.tidegate.transport.http;

import io.tidegate.auth.AuthPolicy;
import io.tidegate.auth.Permissions;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BiPredicate;

/**
 * Route guards: each asks the one {@link AuthPolicy} whether the caller's permissions allow the operation on the
 * route's topic, before the body is read. A denial is 403 and reads the same whether or not the topic exists.
 */
public final class Guards {
  private final AuthPolicy policy;

  public Guards(AuthPolicy policy) {
    this.policy = policy;
  }

  public Handler<RoutingContext> publish() {
    return topic((p, t) -> p.mayPublish(t), "publish to");
  }

  /** History pages are subscriptions to the past, with the same rules. */
  public Handler<RoutingContext> subscribe() {
    return ctx -> {
      policy.access(IdentityHandler.identity(ctx)).subscribe(ctx.pathParam("topic"));
      ctx.next();
    };
  }

  /** Describing a topic: for those who may read it or write to it. */
  public Handler<RoutingContext> use() {
    return topic((p, t) -> p.maySubscribe(t) || p.mayPublish(t), "use");
  }

  /** Creating and deleting topics, listing groups. */
  public Handler<RoutingContext> admin() {
    return ctx -> {
      policy.access(IdentityHandler.identity(ctx)).admin();
      ctx.next();
    };
  }

  private Handler<RoutingContext> topic(BiPredicate<Permissions, String> allowed, String verb) {
    return ctx -> {
      String topic = ctx.pathParam("topic");
      policy.require(allowed.test(IdentityHandler.identity(ctx).permissions(), topic), verb + " '" + topic + "'");
      ctx.next();
    };
  }
}
