package io.tidegate.transport.http;

import io.tidegate.error.Problems;

import io.tidegate.kafka.GroupService;
import io.vertx.ext.web.RoutingContext;

/** {@code GET /groups}: consumer groups with committed offsets and lag. */
public final class GroupEndpoint {
  private final GroupService groups;

  public GroupEndpoint(GroupService groups) {
    this.groups = groups;
  }

  public void list(RoutingContext ctx) {
    groups.list().onSuccess(list -> Problems.json(ctx, 200, JsonBody.groups(list))).onFailure(e -> Problems.send(ctx, e));
  }
}
