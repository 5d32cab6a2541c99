package io.tidegate.stream.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.error.ApiError;
import io.tidegate.testing.Awaits;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A group member's thread and its life, with Kafka's MockConsumer in place of a broker. */
class GroupMemberTest {
  private static final TopicPartition P0 = new TopicPartition("orders", 0);
  private static Vertx vertx;

  private Context context;
  private FakeConsumer consumer;
  private final Recorder listener = new Recorder();

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

  /** What the member told, in order; each event checks it came on the context. */
  private final class Recorder implements GroupMember.Listener {
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<ConsumerRecord<byte[], byte[]>> records = new CopyOnWriteArrayList<>();
    volatile Throwable failure;

    private void on(String event) {
      assertSame(context, Vertx.currentContext(), event + " is told on the client's context");
      events.add(event);
    }

    @Override
    public void joined() {
      on("joined");
    }

    @Override
    public void assigned(Collection<TopicPartition> partitions) {
      on("assigned " + partitions);
    }

    @Override
    public void revoked(Collection<TopicPartition> partitions) {
      on("revoked " + partitions);
    }

    @Override
    public void records(List<ConsumerRecord<byte[], byte[]>> batch, Runnable taken) {
      on("records " + batch.size());
      records.addAll(batch);
      taken.run();
    }

    @Override
    public void failed(Throwable cause) {
      on("failed");
      failure = cause;
    }
  }

  private GroupMember member(Supplier<org.apache.kafka.clients.consumer.Consumer<byte[], byte[]>> consumers) {
    return new GroupMember(consumers, "billing", List.of("orders"), context, listener);
  }

  /** Runs on the context and waits for what it returns. */
  private <T> T on(Supplier<T> body) {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(v -> done.complete(body.get()));
    try {
      return done.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static int refusal(Future<?> f) {
    Awaits.until("the commit is answered", f::isComplete);
    assertTrue(f.failed(), "refused");
    return ((ApiError) f.cause()).status();
  }

  /** The member joins with partition 0 of orders, which holds {@code records} records. */
  private void assignWithRecords(int records) {
    consumer.schedulePollTask(() -> {
      consumer.rebalance(List.of(P0));
      for (int i = 0; i < records; i++) {
        consumer.addRecord(new ConsumerRecord<>("orders", 0, i, new byte[0], ("r" + i).getBytes()));
      }
    });
  }

  @Test
  void recordsAreHandedToTheClientAndItsCommitsReachKafka() {
    GroupMember m = member(() -> consumer);
    assignWithRecords(3);
    on(() -> {
      m.start("member");
      return null;
    });
    Awaits.until("the records arrive", () -> listener.records.size() == 3);
    assertEquals(List.of("joined", "assigned [orders-0]", "records 3"), listener.events);
    Future<Void> committed = on(() -> m.commit(P0, 1));
    Awaits.until("the commit is answered", committed::isComplete);
    assertTrue(committed.succeeded(), () -> String.valueOf(committed.cause()));
    assertEquals(2L, consumer.committed(Set.of(P0)).get(P0).offset(), "Kafka's committed offset is the next to read");
    Awaits.result(on(m::close));
    assertTrue(consumer.closed(), "the consumer is closed once the member stopped");
  }

  @Test
  void aPartitionRevokedInARebalanceCanNoLongerBeCommitted() {
    GroupMember m = member(() -> consumer);
    assignWithRecords(2);
    on(() -> {
      m.start("member");
      return null;
    });
    Awaits.until("the records arrive", () -> listener.records.size() == 2);
    consumer.schedulePollTask(() -> consumer.rebalance(List.of()));
    Awaits.until("the partition is revoked", () -> listener.events.contains("revoked [orders-0]"));
    assertEquals(409, refusal(on(() -> m.commit(P0, 0))), "its new owner gets the uncommitted records");
    Awaits.result(on(m::close));
  }

  @Test
  void aCongestedClientPausesTheMembersPartitionsUntilItDrains() {
    GroupMember m = member(() -> consumer);
    assignWithRecords(0);
    on(() -> {
      m.start("member");
      return null;
    });
    Awaits.until("assigned", () -> listener.events.contains("assigned [orders-0]"));
    m.congested(true);
    Awaits.until("the partition is paused", () -> consumer.paused().contains(P0));
    m.congested(false);
    Awaits.until("the partition is resumed", () -> consumer.paused().isEmpty());
    Awaits.result(on(m::close));
  }

  @Test
  void aFailureOnTheMembersThreadIsToldAndEndsTheMemberWithItsConsumerClosed() {
    KafkaException boom = new KafkaException("poll failed");
    consumer.setPollException(boom);
    GroupMember m = member(() -> consumer);
    on(() -> {
      m.start("member");
      return null;
    });
    Awaits.result(m.stopped());
    assertSame(boom, listener.failure);
    assertEquals(List.of("failed"), listener.events);
    assertTrue(consumer.closed(), "the failed member's consumer is closed");
    assertEquals(409, refusal(on(() -> m.commit(P0, 0))), "a member that is over owns nothing");
  }

  @Test
  void aMemberClosedBeforeItStartedIsOverAtOnceAndNeverStarts() {
    AtomicInteger made = new AtomicInteger();
    GroupMember m = member(() -> {
      made.incrementAndGet();
      return consumer;
    });
    Future<Void> queued = on(() -> m.commit(P0, 0));
    Future<Void> stopped = on(() -> {
      m.close();
      m.start("member");
      return m.stopped();
    });
    assertTrue(stopped.succeeded(), "over at once: there is no thread to wait for");
    assertEquals(409, refusal(queued), "a commit queued for a member that never ran is answered");
    assertEquals(0, made.get(), "no consumer was made");
  }

  @Test
  void commitsBeyondTheBoundAreRefusedAtOnceAndTheOthersAreStillAnswered() {
    GroupMember m = member(() -> consumer); // not started: its commits wait in the queue
    List<Future<Void>> waiting = on(() -> {
      List<Future<Void>> out = new ArrayList<>();
      for (int i = 0; i < CommitQueue.MAX_PENDING; i++) {
        out.add(m.commit(P0, i));
      }
      return out;
    });
    assertTrue(waiting.stream().noneMatch(Future::isComplete), "within the bound: queued");
    Future<Void> over = on(() -> m.commit(P0, 5000));
    assertTrue(over.failed(), "beyond the bound: refused at once");
    assertEquals(503, ((ApiError) over.cause()).status());
    on(m::close);
    waiting.forEach(f -> assertEquals(409, refusal(f)));
  }

  @Test
  void answeredCommitsMakeRoomForMore() {
    GroupMember m = member(() -> consumer);
    assignWithRecords(1);
    on(() -> {
      m.start("member");
      return null;
    });
    Awaits.until("the record arrives", () -> listener.records.size() == 1);
    for (int round = 0; round < 3; round++) {
      List<Future<Void>> answered = on(() -> {
        List<Future<Void>> out = new ArrayList<>();
        for (int i = 0; i < CommitQueue.MAX_PENDING; i++) {
          out.add(m.commit(P0, 0));
        }
        return out;
      });
      Awaits.until("every commit is answered", () -> answered.stream().allMatch(Future::isComplete));
    }
    Future<Void> more = on(() -> m.commit(P0, 0));
    Awaits.until("answered", more::isComplete);
    assertTrue(more.succeeded() || ((ApiError) more.cause()).status() == 409, "not refused for the bound");
    Awaits.result(on(m::close));
  }
}
