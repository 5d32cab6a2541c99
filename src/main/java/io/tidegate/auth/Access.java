package io.tidegate.auth;

import io.tidegate.codec.RecordFilter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

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

  /**
   * Counts a WebSocket or SSE stream against this identity's subject ({@code limits.maxConnectionsPerSubject})
   * until the returned slot is released; fails with 429 when the subject holds its limit already.
   */
  public SubjectLimits.Slot openConnection() {
    return policy.limits().open(identity.subject());
  }

  /** Charges a publish to this identity's subject, all or nothing; fails with 429 and {@code Retry-After}. */
  public void chargePublish(long records, java.util.function.LongSupplier bytes) {
    policy.limits().chargePublish(identity.subject(), records, bytes);
  }

  /**
   * The headers a record published by this identity carries ({@code auth.stampHeader}): the client's own, which
   * may not include the stamp header under any spelling of its name (403: it would forge an identity), then the
   * stamp with the subject. Anonymous publishers' records carry no stamp. Without a stamp header: as given.
   */
  public List<Header> stamp(List<Header> headers) {
    String name = policy.stampHeader();
    if (name == null) {
      return headers;
    }
    for (Header h : headers) {
      policy.require(!h.key().equalsIgnoreCase(name), "set header '" + h.key() + "': the gateway sets it to the "
          + "publisher's identity (auth.stampHeader)");
    }
    if (identity.subject() == null) {
      return headers;
    }
    List<Header> stamped = new ArrayList<>(headers.size() + 1);
    stamped.addAll(headers);
    stamped.add(new RecordHeader(name, identity.subject().getBytes(StandardCharsets.UTF_8)));
    return stamped;
  }
}
