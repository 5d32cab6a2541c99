package io.tidegate.stream.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tidegate.error.ApiError;
import io.tidegate.testing.Awaits;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client's group memberships: each holds a gateway slot exactly as long as its member lives, whatever ends
 * it. Kafka's MockConsumer stands in for the broker.
 */
class GroupMembershipsTest {
  private static final TopicPartition P0 = new TopicPartition("orders", 0);
  private static Vertx vertx;

  private Context context;
  private FakeConsumer consumer;
  private final Semaphore slots = new Semaphore(1);
  private final Counter commits = new SimpleMeterRegistry().counter("commits");
  private final AtomicInteger consumersMade = new AtomicInteger();
  private final List<JsonObject> frames = new CopyOnWriteArrayList<>();
  private final List<ConsumerRecord<byte[], byte[]>> records = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    Awaits.result(vertx.close());
  }

  @BeforeEach
  void setUp() {
    context = vertx.getOrCreateContext();
    consumer = new FakeConsumer();
    consumer.updateBeginningOffsets(Map.of(P0, 0L));
  }

  /** The socket's side: frames as it would send them. */
  private final class FakeClient implements GroupMemberships.Client {
    @Override
    public void send(JsonObject frame) {
      frames.add(frame);
    }

    @Override
    public void error(String id, ApiError e) {
      frames.add(new JsonObject().put("type", "error").put("id", id).put("status", e.status()).put("detail", e.detail()));
    }

    @Override
    public void records(List<ConsumerRecord<byte[], byte[]>> batch) {
      records.addAll(batch);
    }

    @Override
    public boolean congested() {
      return false;
    }
  }

  private GroupMemberships memberships(long joinTimeoutMs, Function<String, Future<?>> lookup) {
    return new GroupMemberships(context, slots, commits, (group, reset) -> {
      consumersMade.incrementAndGet();
      return consumer;
    }, topics -> lookup, joinTimeoutMs, new FakeClient());
  }

  private GroupMemberships memberships() {
    return memberships(30_000, topic -> Future.succeededFuture());
  }

  private <T> T on(Supplier<T> body) {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        done.complete(body.get());
      } catch (RuntimeException e) {
        done.completeExceptionally(e);
      }
    });
    try {
      return done.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw (RuntimeException) e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private void join(GroupMemberships groups, String id) {
    on(() -> {
      groups.join(id, new JsonObject().put("type", "subscribe").put("id", id).put("group", "billing")
          .put("topics", new JsonArray().add("orders")), List.of("orders"), (topic, own) -> own);
      return null;
    });
  }

  private JsonObject reply(String id) {
    Awaits.until("a reply to " + id, () -> frames.stream().anyMatch(f -> id.equals(f.getString("id"))));
    return frames.stream().filter(f -> id.equals(f.getString("id"))).findFirst().orElseThrow();
  }

  private void awaitSlotBack() {
    Awaits.until("the slot is free again", () -> slots.availablePermits() == 1);
  }

  @Test
  void aMemberThatFailsOnItsThreadGivesItsSlotBackAndTheClientIsTold() {
    consumer.setPollException(new KafkaException("broker said no"));
    GroupMemberships groups = memberships();
    join(groups, "j");
    JsonObject error = reply("j");
    assertEquals("error", error.getString("type"));
    assertEquals(503, error.getInteger("status"));
    assertTrue(error.getString("detail").contains("billing") && !error.getString("detail").contains("broker said no"),
        "the client is told in the gateway's words: " + error.getString("detail"));
    awaitSlotBack();
    assertTrue(!on(() -> groups.reads("orders")), "no longer a member");

    consumer = new FakeConsumer();
    join(groups, "again");
    assertEquals(0, slots.availablePermits(), "a later join gets the slot");
    on(() -> {
      groups.closeAll();
      return null;
    });
    awaitSlotBack();
  }

  @Test
  void aSocketThatClosesWhileItsJoinLooksTopicsUpGivesItsSlotBack() {
    Promise<Void> lookup = Promise.promise();
    GroupMemberships groups = memberships(30_000, topic -> lookup.future());
    join(groups, "j");
    assertEquals(0, slots.availablePermits());
    on(() -> {
      groups.closeAll();
      return null;
    });
    awaitSlotBack();
    on(() -> lookup.tryComplete());
    assertEquals(0, consumersMade.get(), "the member of a closed socket never starts");
    assertEquals(1, slots.availablePermits(), "given back once");
  }

  @Test
  void aJoinThatTimesOutGivesItsSlotBack() {
    GroupMemberships groups = memberships(300, topic -> Future.succeededFuture()); // the fake never assigns
    join(groups, "j");
    JsonObject error = reply("j");
    assertEquals(503, error.getInteger("status"), error.encode());
    awaitSlotBack();
    Awaits.until("its consumer is closed", consumer::closed);
  }

  @Test
  void aJoinWhoseTopicIsUnknownGivesItsSlotBack() {
    GroupMemberships groups = memberships(30_000, topic -> Future.failedFuture(ApiError.unknownTopic(topic)));
    join(groups, "j");
    assertEquals(404, reply("j").getInteger("status"));
    awaitSlotBack();
    assertEquals(0, consumersMade.get());
  }

  @Test
  void leavingGivesTheSlotBackOnceItsConsumerIsClosedAndOnlyOnce() {
    consumer.schedulePollTask(() -> consumer.rebalance(List.of(P0)));
    GroupMemberships groups = memberships();
    join(groups, "j");
    JsonObject subscribed = reply("j");
    assertEquals("subscribed", subscribed.getString("type"));
    assertEquals("billing", subscribed.getString("group"));
    Awaits.until("assigned", () -> frames.stream().anyMatch(f -> "assigned".equals(f.getString("type"))));
    on(() -> {
      groups.checkLeave(List.of("orders"));
      groups.leave(List.of("orders"));
      groups.closeAll();
      groups.leave(List.of("orders"));
      return null;
    });
    awaitSlotBack();
    assertTrue(consumer.closed(), "the slot comes back once the consumer is closed");
    assertEquals(1, slots.availablePermits(), "given back once, whatever else happens");
  }

  @Test
  void withNoSlotLeftAJoinIsRefusedWith503() {
    slots.acquireUninterruptibly();
    GroupMemberships groups = memberships();
    ApiError e = assertThrows(ApiError.class, () -> join(groups, "j"));
    assertEquals(503, e.status());
    assertEquals(0, consumersMade.get());
    slots.release();
  }

  @Test
  void recordsReachTheClientAndItsCommitsAreAnsweredAndCounted() {
    consumer.schedulePollTask(() -> {
      consumer.rebalance(List.of(P0));
      consumer.addRecord(new ConsumerRecord<>("orders", 0, 0, new byte[0], "a".getBytes()));
    });
    GroupMemberships groups = memberships();
    join(groups, "j");
    Awaits.until("the record arrives", () -> records.size() == 1);
    on(() -> {
      groups.commit("c", new JsonObject().put("topic", "orders").put("partition", 0).put("offset", 0));
      return null;
    });
    JsonObject committed = reply("c");
    assertEquals("committed", committed.getString("type"), committed.encode());
    assertEquals(1.0, commits.count());
    ApiError notMember = assertThrows(ApiError.class, () -> on(() -> {
      groups.commit("x", new JsonObject().put("topic", "other").put("partition", 0).put("offset", 0));
      return null;
    }));
    assertEquals(404, notMember.status());
    on(() -> {
      groups.closeAll();
      return null;
    });
    awaitSlotBack();
  }
}
