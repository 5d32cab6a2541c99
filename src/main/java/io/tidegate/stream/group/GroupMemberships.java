package io.tidegate.stream.group;

import io.micrometer.core.instrument.Counter;
import io.tidegate.codec.RecordFilter;
import io.tidegate.error.ApiError;
import io.tidegate.error.ErrorMapper;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The consumer groups one client is a member of, and the group half of its protocol: {@code subscribe} with
 * {@code "group"}, {@code commit}, and leaving on {@code unsubscribe} or close. Lives on the client's context.
 *
 * <p>Each membership holds one of the gateway's group-member slots ({@code ws.maxGroupMembers}) for exactly as
 * long as its {@link GroupMember} lives: the slot goes back once, when the member is over, whatever ended it
 * (a join that failed or timed out, a failure on the member's thread, leaving, the socket closing).
 */
public final class GroupMemberships {
  /** What a membership needs of its client. */
  public interface Client {
    /** A protocol frame ({@code subscribed}, {@code assigned}, {@code committed}...); dropped once closed. */
    void send(JsonObject frame);

    void error(String id, ApiError e);

    /** Writes records (already filtered) as {@code record} frames, counted against the client's budget. */
    void records(List<ConsumerRecord<byte[], byte[]>> records);

    boolean congested();
  }

  /** Makes a member's consumer: {@code autoOffsetReset} says where a group with no commits starts. */
  public interface Consumers {
    Consumer<byte[], byte[]> create(String group, String autoOffsetReset);
  }

  private final Context context;
  private final Semaphore slots;
  private final Counter commits;
  private final Consumers consumers;
  /** Given a join's topics, a look-up of each (one batched call for them all); fails for a topic that does not exist. */
  private final Function<List<String>, Function<String, ? extends Future<?>>> lookup;
  private final long joinTimeoutMs;
  private final Client client;
  /** Topic to the membership that reads it for this client. */
  private final Map<String, Membership> byTopic = new HashMap<>();
  private final Map<String, Membership> byGroup = new LinkedHashMap<>();
  private boolean closed;

  /**
   * @param slots the gateway's group-member slots, shared by all clients
   * @param lookup fails when a topic does not exist
   * @param joinTimeoutMs how long a join may take, from the subscribe to the member's first assignment
   */
  public GroupMemberships(Context context, Semaphore slots, Counter commits, Consumers consumers,
      Function<List<String>, Function<String, ? extends Future<?>>> lookup, long joinTimeoutMs, Client client) {
    this.context = context;
    this.slots = slots;
    this.commits = commits;
    this.consumers = consumers;
    this.lookup = lookup;
    this.joinTimeoutMs = joinTimeoutMs;
    this.client = client;
  }

  /** True when a group membership of this client reads the topic. */
  public boolean reads(String topic) {
    return byTopic.containsKey(topic);
  }

  /**
   * {@code "group":"billing"}: the client joins the Kafka consumer group for these topics. {@code from} only
   * says where a group with no commits starts (earliest or latest); afterwards the group's commits decide.
   * Bad input throws; a join that fails later is answered with an error frame carrying {@code id}.
   *
   * @param filterFor a topic's filter, given the client's own: with the one the identity forces on the topic
   */
  public void join(String id, JsonObject msg, List<String> topics,
      BiFunction<String, RecordFilter, RecordFilter> filterFor) {
    if (!(msg.getValue("group") instanceof String group) || group.isBlank() || group.length() > 249
        || group.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
      throw ApiError.badRequest("'group' must be a group name: 1 to 249 printable characters");
    }
    if (byGroup.containsKey(group)) {
      throw ApiError.conflict("already a member of group '" + group + "' on this socket; unsubscribe first");
    }
    Object from = msg.getValue("from", "latest");
    if (!"latest".equals(from) && !"earliest".equals(from)) {
      throw ApiError.badRequest("a group member reads from the group's committed offsets; 'from' may only say where "
          + "a group with no commits starts: \"earliest\" or \"latest\"");
    }
    RecordFilter own = RecordFilter.parse(msg.getValue("filter"));
    Map<String, RecordFilter> filters = new HashMap<>();
    topics.forEach(t -> filters.put(t, filterFor.apply(t, own)));
    if (closed) {
      return;
    }
    if (!slots.tryAcquire()) {
      throw ApiError.overloaded("this gateway holds its maximum of group members; retry shortly or use another gateway");
    }
    Membership m = new Membership(id, group, topics, filters);
    m.member = new GroupMember(() -> consumers.create(group, (String) from), group, topics, context, m);
    m.member.stopped().onComplete(v -> slots.release()); // once, when the member is over: whatever ended it
    byGroup.put(group, m);
    topics.forEach(t -> byTopic.put(t, m));
    m.joinTimer = context.owner().setTimer(joinTimeoutMs, t -> {
      m.joinTimer = -1;
      if (m.current()) {
        client.error(id, ApiError.unavailable("could not join group '" + group + "' in time; retry shortly", 1));
        leave(m);
      }
    });
    List<Future<?>> lookups = new ArrayList<>();
    Function<String, ? extends Future<?>> each = lookup.apply(topics);
    for (String topic : topics) {
      try {
        lookups.add(each.apply(topic));
      } catch (RuntimeException e) {
        lookups.add(Future.failedFuture(e));
      }
    }
    Future.all(lookups).onComplete(ar -> {
      if (!m.current()) {
        return; // left meanwhile (unsubscribe, timeout, socket closed): the member was closed before it started
      }
      if (ar.failed()) {
        leave(m);
        client.error(id, ErrorMapper.toApiError(ar.cause()));
        return;
      }
      if (client.congested()) {
        m.member.congested(true);
      }
      m.member.start("tidegate-member-" + group);
    });
  }

  /** {@code {"type":"commit","topic","partition","offset"}}: the record at offset, and all before it, are done. */
  public void commit(String id, JsonObject msg) {
    if (!(msg.getValue("topic") instanceof String topic)) {
      throw ApiError.badRequest("'topic' must be a topic name");
    }
    if (!(msg.getValue("partition") instanceof Number p) || p.intValue() < 0 || p.doubleValue() != p.intValue()) {
      throw ApiError.badRequest("'partition' must be a non-negative integer");
    }
    if (!(msg.getValue("offset") instanceof Number o) || o.longValue() < 0 || o.doubleValue() != o.longValue()) {
      throw ApiError.badRequest("'offset' must be the offset of a record this member received");
    }
    Membership m = byTopic.get(topic);
    if (m == null) {
      throw ApiError.notFound("this socket is not a group member for '" + topic + "' (subscribe with \"group\" first)");
    }
    int partition = p.intValue();
    long offset = o.longValue();
    TopicPartition tp = new TopicPartition(topic, partition);
    m.member.commit(tp, m.skipped.through(tp, offset)).onComplete(ar -> {
      if (ar.succeeded()) {
        commits.increment();
        client.send(GroupFrames.committed(id, topic, partition, offset));
      } else {
        client.error(id, ErrorMapper.toApiError(ar.cause()));
      }
    });
  }

  /** Each group this client is a member of, with the topics it joined it for. */
  public Map<String, List<String>> memberships() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    byGroup.forEach((group, m) -> out.put(group, m.topics));
    return out;
  }

  /** Before an unsubscribe does anything: a group joined for several topics is left for all of them at once. */
  public void checkLeave(List<String> topics) {
    for (String topic : topics) {
      Membership m = byTopic.get(topic);
      if (m != null && !topics.containsAll(m.topics)) {
        throw ApiError.badRequest("group '" + m.group + "' was joined for " + m.topics
            + "; unsubscribe from all of them together");
      }
    }
  }

  /** Leaves the groups that read these topics: Kafka gives the members' partitions to the others. */
  public void leave(List<String> topics) {
    topics.forEach(t -> {
      Membership m = byTopic.get(t);
      if (m != null) {
        leave(m);
      }
    });
  }

  /** The client became congested, or drained: its members stop fetching, or go on. */
  public void congested(boolean now) {
    byGroup.values().forEach(m -> m.member.congested(now));
  }

  /** The client is gone: it leaves every group. */
  public void closeAll() {
    closed = true;
    List.copyOf(byGroup.values()).forEach(this::leave);
  }

  /** The member's consumer closes on its thread (or at once if it never started); its slot follows. */
  private void leave(Membership m) {
    if (m.current()) {
      forget(m);
      m.member.close();
    }
  }

  private void forget(Membership m) {
    byGroup.remove(m.group);
    m.topics.forEach(t -> byTopic.remove(t, m));
    if (m.joinTimer >= 0) {
      context.owner().cancelTimer(m.joinTimer);
      m.joinTimer = -1;
    }
  }

  /** A group this client is a member of, for some topics; what its member tells, told to the client. */
  private final class Membership implements GroupMember.Listener {
    final String id;
    final String group;
    final List<String> topics;
    /** Per topic: the client's filter and the one its identity forces, as one. */
    final Map<String, RecordFilter> filters;
    final SkippedTails skipped = new SkippedTails();
    GroupMember member;
    long joinTimer = -1;

    Membership(String id, String group, List<String> topics, Map<String, RecordFilter> filters) {
      this.id = id;
      this.group = group;
      this.topics = List.copyOf(topics);
      this.filters = Map.copyOf(filters);
    }

    boolean current() {
      return byGroup.get(group) == this;
    }

    @Override
    public void joined() {
      if (current() && joinTimer >= 0 && context.owner().cancelTimer(joinTimer)) {
        joinTimer = -1;
        client.send(GroupFrames.subscribed(id, topics, group));
      }
    }

    @Override
    public void assigned(Collection<TopicPartition> partitions) {
      skipped.forget(partitions);
      client.send(GroupFrames.partitions("assigned", group, partitions));
    }

    @Override
    public void revoked(Collection<TopicPartition> partitions) {
      skipped.forget(partitions);
      client.send(GroupFrames.partitions("revoked", group, partitions));
    }

    @Override
    public void records(List<ConsumerRecord<byte[], byte[]>> batch, Runnable taken) {
      if (!closed && current()) {
        client.records(skipped.sift(batch, filters));
      }
      taken.run();
    }

    @Override
    public void failed(Throwable cause) {
      if (current()) {
        forget(this);
        client.error(id, MemberFailures.toApiError(group, cause));
      }
    }
  }
}
