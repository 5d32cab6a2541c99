package io.tidegate.auth;

import io.tidegate.codec.RecordFilter;

/**
 * One connection's identity under the one {@link AuthPolicy}: each operation is allowed or refused (403, counted)
 * the same way on every transport. What it may read of a topic it may subscribe to is decided here too: the
 * row-level filter its permissions force on the topic, on top of the client's own ({@link #filterFor}), applied
 * alike to WebSocket and SSE subscriptions, consumer-group members and history pages.
 */
public final class Access {
  private final AuthPolicy policy;
  private final Identity identity;

  Access(AuthPolicy policy, Identity identity) {
    this.policy = policy;
    this.identity = identity;
  }

  public Identity identity() {
    return identity;
  }

  /** Subscribing over WebSocket or SSE, and reading history pages. */
  public void subscribe(String topic) {
    policy.require(identity.permissions().maySubscribe(topic), "subscribe to '" + topic + "'");
  }

  /**
   * The filter a subscription or history read of {@code topic} applies: the client's {@code own} (ALL for none)
   * and the identity's forced filter for the topic, combined into one (see {@link Permissions#filterFor}).
   */
  public RecordFilter filterFor(String topic, RecordFilter own) {
    return identity.permissions().filterFor(topic, own);
  }

  public void publish(String topic) {
    policy.require(identity.permissions().mayPublish(topic), "publish to '" + topic + "'");
  }

  public void join(String group) {
    policy.require(identity.permissions().mayJoin(group), "join group '" + group + "'");
  }

  public void admin() {
    policy.require(identity.permissions().admin(), "administer this gateway");
  }
}
