package io.tidegate.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.tidegate.config.TidegateConfig;
import io.tidegate.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client registration side of the fan-out: who gets a topic's records, and when the feed may pause it. */
class FanoutTest {
  private final Vertx vertx = Vertx.vertx();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final LiveFeed feed = new LiveFeed(null, registry, 0);
  private final Fanout fanout = new Fanout(vertx.getOrCreateContext(), feed);
  private final StreamContext context = new StreamContext(vertx.getOrCreateContext(), fanout,
      new Streams(new TidegateConfig.Ws(4096, 1000, 1, 1, false, 30, 10, 100, 100, 0, 0), feed, null, null, null,
          new Semaphore(1), new Semaphore(1), new AtomicInteger(), new AtomicInteger(), new AtomicInteger(),
          new AtomicInteger(), new StreamMeters(registry), Counter.builder("c").register(registry)),
      new AtomicInteger());

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** A client that only counts the live records it is given. */
  private class Counting extends StreamClient {
    final List<Long> got = new ArrayList<>();

    Counting() {
      super(context, () -> {});
    }

    @Override
    protected Future<Void> write(ByteBuf bytes) {
      return Future.succeededFuture();
    }

    @Override
    protected void writeLive(Subscription s, FeedRecord r) {
      got.add(r.offset());
    }

    @Override
    protected void writePast(Subscription s, ConsumerRecord<byte[], byte[]> r) {}

    @Override
    protected void event(JsonObject message) {}

    @Override
    protected void overBudget(ApiError error, JsonObject resume) {}
  }

  private static FeedRecord record(long offset) {
    return new FeedRecord(new ConsumerRecord<>("t", 0, offset, null, new byte[0]), new byte[1],
        Counter.builder("e").register(new SimpleMeterRegistry()));
  }

  private static Subscription at(StreamClient c, long next) {
    Subscription s = new Subscription("s", "t", io.tidegate.codec.RecordFilter.ALL, true);
    s.next.put(0, next);
    c.subs.put("t", s);
    return s;
  }

  @Test
  void registeredClientsGetTheRecordsAndUnregisteredOnesDoNot() {
    Counting a = new Counting();
    Counting b = new Counting();
    at(a, 0);
    at(b, 0);
    fanout.register("t", a);
    fanout.register("t", b);
    fanout.register("t", a); // twice is once
    fanout.records(List.of(record(0)), () -> {});
    fanout.unregister("t", b);
    fanout.records(List.of(record(1)), () -> {});
    assertEquals(List.of(0L, 1L), a.got);
    assertEquals(List.of(0L), b.got);
    assertEquals(2L, fanout.liveNext(new TopicPartition("t", 0)));
  }

  @Test
  void clientsLeavingFromTheMiddleOrTheEndsLeaveTheOthersInOrderAndUnknownOnesChangeNothing() {
    List<Counting> all = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Counting c = new Counting();
      at(c, 0);
      all.add(c);
      fanout.register("t", c);
    }
    Counting stranger = new Counting();
    fanout.unregister("t", stranger); // never registered: nothing changes
    fanout.unregister("other", all.get(0)); // a topic it is not on: nothing changes
    fanout.unregister("t", all.get(2));
    fanout.unregister("t", all.get(0));
    fanout.unregister("t", all.get(4));
    fanout.unregister("t", all.get(4)); // twice is once
    fanout.records(List.of(record(0)), () -> {});
    assertEquals(List.of(0L), all.get(1).got);
    assertEquals(List.of(0L), all.get(3).got);
    for (int i : new int[] {0, 2, 4}) {
      assertEquals(List.of(), all.get(i).got);
    }
    fanout.unregister("t", all.get(1));
    fanout.unregister("t", all.get(3));
    fanout.register("t", all.get(2)); // back after the topic emptied
    fanout.records(List.of(record(1)), () -> {});
    assertEquals(List.of(1L), all.get(2).got);
    assertEquals(List.of(0L), all.get(3).got);
  }

  @Test
  void aPassMeasuresTheDeliveryLatencyOfItsFirstClientAndOneIn16After() {
    List<Counting> all = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Counting c = new Counting() {
        @Override
        protected void writeLive(Subscription s, FeedRecord r) {
          super.writeLive(s, r);
          outLive(1, Future.succeededFuture()); // written at once
        }
      };
      at(c, 0);
      all.add(c);
      fanout.register("t", c);
    }
    io.micrometer.core.instrument.Timer ws = registry.get("tidegate.delivery.latency").tag("transport", "ws").timer();
    for (int offset = 0; offset < 2; offset++) {
      FeedRecord r = new FeedRecord(new ConsumerRecord<>("t", 0, offset, System.currentTimeMillis() - 5,
          org.apache.kafka.common.record.TimestampType.CREATE_TIME, 0, 0, null, new byte[0],
          new org.apache.kafka.common.header.internals.RecordHeaders(), java.util.Optional.empty()), new byte[1],
          Counter.builder("e").register(new SimpleMeterRegistry()));
      fanout.records(List.of(r), () -> {});
      assertEquals(3 * (offset + 1), ws.count(), "clients 0, 16 and 32 of 40, in each pass");
    }
    all.forEach(c -> assertEquals(List.of(0L, 1L), c.got));
  }

  @Test
  void theTopicPausesOnlyWhileEveryClientOfItIsCongested() {
    Counting a = new Counting();
    Counting b = new Counting();
    fanout.register("t", a);
    fanout.register("t", b);
    double before = registry.get("tidegate.feed.pauses").counter().count();
    fanout.congestion(a, Set.of("t"), true);
    assertEquals(before, registry.get("tidegate.feed.pauses").counter().count(), "b still reads");
    fanout.congestion(b, Set.of("t"), true);
    assertEquals(before + 1, registry.get("tidegate.feed.pauses").counter().count(), "nobody reads: paused");
    fanout.congestion(a, Set.of("t"), false);
    fanout.congestion(a, Set.of("t"), true);
    assertEquals(before + 2, registry.get("tidegate.feed.pauses").counter().count(), "a drained, then congested again");
  }
}
