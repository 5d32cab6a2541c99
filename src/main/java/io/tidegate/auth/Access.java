package io.tidegate.auth;

/**
 * One connection's identity under the one {@link AuthPolicy}: each operation is allowed or refused (403, counted)
 * the same way on every transport. A topic that the identity may only read through a row-level filter is refused
 * until filters are applied on every path (see the README's "Securing Tidegate"), never served unfiltered.
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
    Permissions p = identity.permissions();
    policy.require(p.maySubscribe(topic), "subscribe to '" + topic + "'");
    policy.require(p.forcedFilter(topic).isEmpty(), "read '" + topic + "' without its row-level filter, which this "
        + "version of the gateway does not apply yet");
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
