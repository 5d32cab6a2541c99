package io.tidegate.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tidegate.codec.RecordFilter;
import io.tidegate.config.TidegateConfig;
import io.tidegate.error.ApiError;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client core without a broker: a fake transport, the real fan-out and feed bookkeeping (the feed's
 * thread is never started), on a real event loop. Every step runs on that loop, as in the gateway.
 */
class StreamClientTest {
  private static final int BUDGET = 10_000;
  private Vertx vertx;
  private Context loop;
  private SimpleMeterRegistry registry;
  private Streams streams;
  private Fanout fanout;
  private StreamContext context;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    loop = vertx.getOrCreateContext();
    registry = new SimpleMeterRegistry();
    TidegateConfig.Ws config = new TidegateConfig.Ws(4096, BUDGET, 2, 2, false, 30, 1, 3, 2, 0, 0);
    LiveFeed feed = new LiveFeed(null, registry, 0);
    streams = new Streams(config, feed, null, null, null, new Semaphore(2), new Semaphore(2), new AtomicInteger(),
        new AtomicInteger(), new AtomicInteger(), new AtomicInteger(), new StreamMeters(registry),
        Counter.builder("commits").register(registry));
    fanout = on(() -> new Fanout(loop, feed));
    context = new StreamContext(loop, fanout, streams, new AtomicInteger(1));
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private <T> T on(Supplier<T> work) {
    CompletableFuture<T> done = new CompletableFuture<>();
    loop.runOnContext(v -> {
      try {
        done.complete(work.get());
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    });
    try {
      return done.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new RuntimeException(e.getCause());
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  private void run(Runnable work) {
    on(() -> {
      work.run();
      return null;
    });
  }

  private double feedTopics() {
    return registry.get("tidegate.feed.topics").gauge().value();
  }

  /** The live feed stands on every partition of the topic, so {@code latest} starts at once. */
  private void feedReads(String topic, int partitions) {
    run(() -> {
      for (int p = 0; p < partitions; p++) {
        fanout.partitionStarted(new TopicPartition(topic, p), 0);
      }
    });
  }

  private static FeedRecord record(String topic, int partition, long offset, int bytes) {
    byte[] frame = "x".repeat(bytes).getBytes(StandardCharsets.US_ASCII);
    return new FeedRecord(new ConsumerRecord<>(topic, partition, offset, null, new byte[0]), frame,
        Counter.builder("evaluations").register(new SimpleMeterRegistry()));
  }

  /** A transport that records what it is given; writes complete when the test says so. */
  final class FakeClient extends StreamClient {
    final List<Promise<Void>> writes = new ArrayList<>();
    final List<Long> live = new ArrayList<>();
    final List<JsonObject> events = new ArrayList<>();
    JsonObject resume;

    FakeClient() {
      super(context, () -> {});
    }

    Future<Void> subscribe(String id, List<String> topics, Future<Integer> partitions) {
      return subscribe(id, topics, t -> RecordFilter.ALL, t -> "latest", t -> partitions);
    }

    /** A subscribe of a one-partition topic from offsets: a catch-up read, after a look-up of the log's bounds. */
    Future<Void> subscribeFromOffset(String topic, long offset) {
      Object from = new JsonObject().put("offsets", new JsonObject().put(topic, new JsonObject().put("0", offset)));
      return subscribe("a", List.of(topic), t -> RecordFilter.ALL, t -> from, t -> Future.succeededFuture(1));
    }

    void takeAll() {
      List<Promise<Void>> done = List.copyOf(writes);
      writes.clear();
      done.forEach(Promise::complete);
    }

    void close() {
      cleanUp();
    }

    @Override
    protected Future<Void> write(ByteBuf bytes) {
      Promise<Void> p = Promise.promise();
      writes.add(p);
      return p.future();
    }

    @Override
    protected void writeLive(Subscription s, FeedRecord r) {
      live.add(r.offset());
      out(Unpooled.wrappedBuffer(r.frame()));
    }

    @Override
    protected void writePast(Subscription s, ConsumerRecord<byte[], byte[]> r) {}

    @Override
    protected void event(JsonObject message) {
      events.add(message);
    }

    @Override
    protected void overBudget(ApiError error, JsonObject resume) {
      this.resume = resume;
    }
  }

  /** Waits for a future that must fail, and answers why. */
  private static Throwable failure(Future<?> f) {
    return assertThrows(java.util.concurrent.ExecutionException.class,
        () -> f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)).getCause();
  }

  @Test
  void aSubscribeFromOffsetsWithNoCatchUpPermitFreeIsRefusedBeforeAnyLookUp() {
    FakeClient client = on(FakeClient::new);
    streams.catchUps().drainPermits();
    // This gateway has no TopicService: a subscribe that looked the log's bounds up first would fail otherwise.
    Throwable refused = failure(on(() -> client.subscribeFromOffset("t", 5)));
    assertTrue(refused instanceof ApiError e && e.status() == 503, "refused with 503 before a look-up: " + refused);
    assertEquals(0, streams.catchUps().availablePermits());
    assertEquals(0, streams.subscriptions().get());
  }

  @Test
  void theCatchUpPermitTakenForASubscribeIsGivenBackWhenItsLookUpFails() {
    FakeClient client = on(FakeClient::new);
    int free = streams.catchUps().availablePermits();
    failure(on(() -> client.subscribeFromOffset("t", 5))); // no TopicService here: the look-up fails
    assertEquals(free, streams.catchUps().availablePermits());
    assertEquals(0, streams.subscriptions().get());
  }

  @Test
  void aTopicIsClaimedBeforeAnyLookUpSoASecondSubscribeIsRefusedAtOnce() {
    feedReads("t", 1);
    FakeClient client = on(FakeClient::new);
    Promise<Integer> lookup = on(Promise::promise);
    Future<Void> first = on(() -> client.subscribe("a", List.of("t"), lookup.future()));
    ApiError second = assertThrows(ApiError.class, () -> on(() -> client.subscribe("b", List.of("t"), Future.succeededFuture(1))));
    assertEquals(409, second.status());
    run(() -> lookup.complete(1));
    assertTrue(on(first::succeeded));
    assertEquals(1, streams.subscriptions().get());
    assertEquals(1.0, feedTopics(), "wanted once");
    ApiError third = assertThrows(ApiError.class, () -> on(() -> client.subscribe("c", List.of("t"), Future.succeededFuture(1))));
    assertEquals(409, third.status());
    run(() -> client.drop("t"));
    assertEquals(0.0, feedTopics());
    assertEquals(0, streams.subscriptions().get());
  }

  @Test
  void aClientThatClosesDuringASubscribeRegistersNothing() {
    feedReads("t", 1);
    FakeClient client = on(FakeClient::new);
    Promise<Integer> lookup = on(Promise::promise);
    Future<Void> started = on(() -> client.subscribe("a", List.of("t"), lookup.future()));
    run(client::close);
    run(() -> lookup.complete(1));
    assertTrue(on(started::failed));
    assertEquals(0, streams.subscriptions().get());
    assertEquals(0.0, feedTopics());
    run(() -> fanout.records(List.of(record("t", 0, 0, 10)), () -> {}));
    assertEquals(List.of(), on(() -> client.live), "the fan-out holds no client");
  }

  @Test
  void aSubscribeThatFailsPartwayIsUndoneWhateverItsId() {
    feedReads("ok", 1);
    FakeClient client = on(FakeClient::new);
    Future<Void> started = on(() -> client.subscribe(null, List.of("ok", "missing"), t -> RecordFilter.ALL, t -> "latest",
        t -> t.equals("ok") ? Future.succeededFuture(1) : Future.failedFuture(ApiError.unknownTopic(t))));
    assertTrue(on(started::failed));
    assertEquals(0, streams.subscriptions().get());
    assertEquals(0.0, feedTopics());
    assertTrue(on(() -> client.subscribe("again", List.of("ok"), Future.succeededFuture(1))).succeeded());
  }

  @Test
  void limitsAreCheckedBeforeAnythingIsClaimed() {
    FakeClient client = on(FakeClient::new);
    assertEquals(400, assertThrows(ApiError.class,
        () -> on(() -> client.subscribe("a", List.of("a", "b", "c"), Future.succeededFuture(1)))).status());
    feedReads("a", 1);
    feedReads("b", 1);
    feedReads("c", 1);
    feedReads("d", 1);
    on(() -> client.subscribe("1", List.of("a", "b"), Future.succeededFuture(1)));
    on(() -> client.subscribe("2", List.of("c"), Future.succeededFuture(1)));
    ApiError over = assertThrows(ApiError.class, () -> on(() -> client.subscribe("3", List.of("d"), Future.succeededFuture(1))));
    assertEquals(429, over.status());
    assertEquals(3, streams.subscriptions().get());
  }

  @Test
  void aBadFromIsRefusedBeforeAnythingIsClaimed() {
    FakeClient client = on(FakeClient::new);
    ApiError e = assertThrows(ApiError.class, () -> on(() -> client.subscribe("a", List.of("t"), t -> RecordFilter.ALL,
        t -> new JsonObject().put("timestamp", -1), t -> Future.succeededFuture(1))));
    assertEquals(400, e.status());
    assertEquals(false, on(() -> client.holds("t")));
  }

  @Test
  void theLiveFeedWritesWhatFitsAndTheRestWaitsBehindInsteadOfOvershooting() {
    feedReads("t", 1);
    FakeClient client = on(FakeClient::new);
    on(() -> client.subscribe("a", List.of("t"), Future.succeededFuture(1)));
    List<FeedRecord> batch = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      batch.add(record("t", 0, i, 1000));
    }
    run(() -> fanout.records(batch, () -> {}));
    List<Long> written = on(() -> List.copyOf(client.live));
    assertEquals(10, written.size(), "a budget of 10,000 bytes takes ten 1,000-byte records: " + written);
    assertTrue(on(() -> client.budget.queued()) <= BUDGET);
    assertEquals(1, streams.behind().get(), "the subscription fell behind");
    assertEquals(Map.of(0, 10L), on(() -> Map.copyOf(client.subs.get("t").next)), "it stands at the first record not written");
    // later live records are not taken while it is behind
    run(() -> fanout.records(List.of(record("t", 0, 30, 10)), () -> {}));
    assertEquals(10, on(() -> client.live.size()));
  }

  @Test
  void aClientThatTakesNothingWhileBehindIsClosedWithItsPositions() throws Exception {
    feedReads("t", 2);
    FakeClient client = on(FakeClient::new);
    on(() -> client.subscribe("a", List.of("t"), Future.succeededFuture(2)));
    List<FeedRecord> batch = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      batch.add(record("t", i % 2, i / 2, 1000));
    }
    run(() -> fanout.records(batch, () -> {}));
    // what waits for the client is the transport's queued bytes too
    long queued = on(() -> client.budget.queued());
    assertTrue(queued > 0);
    assertEquals(queued, registry.get("tidegate.stream.queued.bytes").tag("transport", "ws").gauge().value());
    assertEquals(0.0, registry.get("tidegate.stream.queued.bytes").tag("transport", "sse").gauge().value());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (on(() -> client.resume) == null && System.nanoTime() < deadline) {
      Thread.sleep(50); // the stall watch is a timer of ws.stallSeconds (1 s here) on the loop
    }
    JsonObject resume = on(() -> client.resume);
    assertNotNull(resume, "closed after a stall");
    assertEquals(new JsonObject().put("t", new JsonObject().put("0", 5L).put("1", 5L)), resume);
    assertEquals(1.0, registry.get("tidegate.stream.closed.slow").tag("transport", "ws").counter().count());
    assertEquals(0, streams.subscriptions().get());
    assertEquals(0, streams.behind().get());
  }

  @Test
  void aClientThatKeepsTakingIsNotClosed() throws Exception {
    feedReads("t", 1);
    FakeClient client = on(FakeClient::new);
    on(() -> client.subscribe("a", List.of("t"), Future.succeededFuture(1)));
    List<FeedRecord> batch = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      batch.add(record("t", 0, i, 1000));
    }
    run(() -> fanout.records(batch, () -> {}));
    assertEquals(1, streams.behind().get());
    // the client takes one write at a time, slowly, past the stall time: it is reading, so it stays
    for (int i = 0; i < 6; i++) {
      run(() -> {
        if (!client.writes.isEmpty()) {
          client.writes.remove(0).complete();
        }
      });
      Thread.sleep(400);
    }
    assertEquals(null, on(() -> client.resume));
    assertEquals(0.0, registry.get("tidegate.stream.closed.slow").tag("transport", "ws").counter().count());
  }
}
