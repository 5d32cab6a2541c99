package io.tidegate.http;

import io.tidegate.kafka.GroupService;
import io.vertx.ext.web.RoutingContext;

/** {@code GET /groups}: consumer groups with committed offsets and lag. */
final class GroupEndpoint {
  private final GroupService groups;

  GroupEndpoint(GroupService groups) {
    this.groups = groups;
  }

  void list(RoutingContext ctx) {
    groups.list().onSuccess(list -> Problems.json(ctx, 200, list)).onFailure(e -> Problems.send(ctx, e));
  }
}
