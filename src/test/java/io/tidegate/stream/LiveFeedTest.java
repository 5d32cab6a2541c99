package io.tidegate.stream;

import static io.tidegate.stream.FeedFakes.offsets;
import static io.tidegate.stream.FeedFakes.range;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tidegate.stream.FeedFakes.Cluster;
import io.tidegate.stream.FeedFakes.Recording;
import io.tidegate.testing.Awaits;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The live feed's assignment, positions and supervision against Kafka's MockConsumer (with the failures a real
 * consumer has), and its dispatch to sinks on real Vert.x contexts. No broker.
 */
class LiveFeedTest {
  private static final TopicPartition T0 = new TopicPartition("t", 0);
  private static final TopicPartition T1 = new TopicPartition("t", 1);
  private static final TopicPartition T2 = new TopicPartition("t", 2);

  private final Cluster kafka = new Cluster();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final LiveFeed feed = new LiveFeed(kafka, registry, 0);
  private final Vertx vertx = Vertx.vertx();
  private final Vertx otherVertx = Vertx.vertx();

  @AfterEach
  void tearDown() {
    feed.close();
    Awaits.result(vertx.close());
    Awaits.result(otherVertx.close());
  }

  private Recording sink() {
    Recording sink = new Recording();
    feed.addSink(vertx.getOrCreateContext(), sink);
    return sink;
  }

  private double count(String meter) {
    return registry.find(meter).counters().stream().mapToDouble(c -> c.count()).sum();
  }

  @Test
  void aWakeupInTheMiddleOfAReassignmentStartsEveryNewPartitionAtItsEnd() {
    kafka.topic("t", 3, 0, 10);
    kafka.wakeOnPosition.add(T1);
    Recording sink = sink();
    feed.start();
    feed.want("t");
    sink.await("started " + T0 + "@10");
    sink.await("started " + T1 + "@10");
    sink.await("started " + T2 + "@10");
    assertEquals(3, sink.matching(e -> e.startsWith("started")).size(), "each partition starts once: " + sink.events);
    kafka.records(T1, 10, 13);
    sink.awaitRecordsUpTo(T1, 13);
    assertEquals(range(10, 13), offsets(sink.records(T1)), "a 'latest' reader gets no history");
  }

  @Test
  void aMetadataFailureForATopicKeepsItsPartitionsAndPositions() {
    kafka.topic("t", 1, 0, 5);
    kafka.topic("u", 1, 0, 0);
    Recording sink = sink();
    feed.start();
    feed.want("t");
    sink.await("started " + T0 + "@5");
    kafka.records(T0, 5, 8);
    sink.awaitRecordsUpTo(T0, 8);

    kafka.metadataFails.add("t");
    feed.want("u"); // a reassignment while t's metadata cannot be had
    sink.await("started u-0@0");
    kafka.records(T0, 8, 11);
    sink.awaitRecordsUpTo(T0, 11);
    kafka.metadataFails.clear();

    assertEquals(List.of(), sink.matching(e -> e.startsWith("stopped")), "t was never dropped");
    assertEquals(1, sink.matching(e -> e.startsWith("started " + T0)).size(), "t-0 started once: " + sink.events);
    assertEquals(range(5, 11), offsets(sink.records(T0)), "no gap, no repeat");
    assertTrue(count("tidegate.feed.failures") >= 1, "the metadata failure is counted");
  }

  @Test
  void partitionsAddedToATopicAlreadyReadStartAtTheirBeginning() {
    kafka.topic("t", 1, 0, 5);
    kafka.topic("u", 1, 0, 0);
    Recording sink = sink();
    feed.start();
    feed.want("t");
    sink.await("started " + T0 + "@5");
    kafka.topic("t", 2, 0, 5); // partition 1 appears, with 5 records nobody read yet
    feed.want("u");
    sink.await("started " + T1 + "@0");
  }

  @Test
  void aPositionTheLogNoLongerHoldsIsResetToTheLogStartAndAnnounced() {
    kafka.topic("t", 1, 0, 5);
    Recording sink = sink();
    feed.start();
    feed.want("t");
    sink.await("started " + T0 + "@5");
    kafka.records(T0, 5, 7);
    sink.awaitRecordsUpTo(T0, 7);

    // retention removed everything before 20 while the feed stood at 7
    kafka.newest().updateBeginningOffsets(java.util.Map.of(T0, 20L));
    kafka.records(T0, 20, 23);
    sink.await("reset " + T0 + " 7->20");
    sink.awaitRecordsUpTo(T0, 23);
    assertEquals(List.of(5L, 6L, 20L, 21L, 22L), offsets(sink.records(T0)));
    assertTrue(sink.events.indexOf("reset " + T0 + " 7->20") < sink.events.indexOf("record " + T0 + "@20"),
        "the reset comes before the records after it");
    assertEquals(1.0, count("tidegate.feed.resets"), "the reset is counted");
  }

  @Test
  void aConsumerThatFailsIsReplacedAndTheNewOneResumesExactlyWhereTheFeedStood() {
    kafka.topic("t", 1, 0, 5);
    Recording sink = sink();
    feed.start();
    feed.want("t");
    sink.await("started " + T0 + "@5");
    kafka.records(T0, 5, 8);
    sink.awaitRecordsUpTo(T0, 8);

    kafka.end.put(T0, 100L); // were the new consumer to start at the end, it would skip 8..99
    kafka.pollFailure = new KafkaException("the consumer broke");
    Awaits.until("a failure is counted", () -> count("tidegate.feed.failures") >= 1);
    kafka.pollFailure = null;
    Awaits.until("a second consumer is made", () -> kafka.created.size() >= 2);
    kafka.records(T0, 0, 11); // a rewind to the beginning would show 0..7 again
    sink.awaitRecordsUpTo(T0, 11);
    assertEquals(range(5, 11), offsets(sink.records(T0)), "no gap, no repeat across the new consumer");
    assertEquals(1, sink.matching(e -> e.startsWith("started")).size(), "no restart of the partition: " + sink.events);
  }

  @Test
  void readinessIsFalseWhileTheFeedCannotReadAndTrueAfter() {
    kafka.topic("t", 1, 0, 5);
    Recording sink = sink();
    feed.start();
    feed.want("t");
    sink.await("started " + T0 + "@5");
    assertTrue(feed.isUp());
    kafka.pollFailure = new KafkaException("the consumer broke");
    Awaits.until("the feed says it is down", Duration.ofSeconds(30), () -> !feed.isUp());
    kafka.pollFailure = null;
    Awaits.until("the feed says it is up again", Duration.ofSeconds(30), feed::isUp);
    kafka.records(T0, 5, 7);
    sink.awaitRecordsUpTo(T0, 7);
  }

  @Test
  void aSinkThatThrowsIsCountedAndTheFeedGoesOn() {
    kafka.topic("t", 1, 0, 0);
    Recording good = sink();
    feed.addSink(otherVertx.getOrCreateContext(), new Recording() {
      @Override
      public void records(List<FeedRecord> batch, Runnable taken) {
        throw new IllegalStateException("a broken sink");
      }
    });
    feed.start();
    feed.want("t");
    good.await("started " + T0 + "@0");
    kafka.records(T0, 0, 3);
    good.awaitRecordsUpTo(T0, 3);
    kafka.records(T0, 3, 6);
    good.awaitRecordsUpTo(T0, 6);
    assertTrue(count("tidegate.feed.sink.errors") >= 1, "the sink's failure is counted");
  }

  @Test
  void aStalledSinkDoesNotStopTheOthersAndHearsOfWhatItMissedWhenItCatchesUp() throws Exception {
    kafka.topic("t", 1, 0, 0);
    Recording good = sink();
    CountDownLatch unblock = new CountDownLatch(1);
    Recording stuck = new Recording() {
      @Override
      public void records(List<FeedRecord> batch, Runnable taken) {
        super.records(batch, () -> { });
        try {
          unblock.await(60, TimeUnit.SECONDS); // its event loop is blocked
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        taken.run();
      }
    };
    feed.addSink(otherVertx.getOrCreateContext(), stuck);
    feed.start();
    feed.want("t");
    good.await("started " + T0 + "@0");
    kafka.records(T0, 0, 2);
    good.awaitRecordsUpTo(T0, 2);
    stuck.awaitRecordsUpTo(T0, 2);

    kafka.records(T0, 2, 4);
    good.awaitRecordsUpTo(T0, 4);
    assertTrue(count("tidegate.feed.sink.stalls") >= 1, "the stall is counted");

    unblock.countDown();
    stuck.await("reset " + T0 + " 2->4"); // as soon as it has caught up, not at the next batch
    kafka.records(T0, 4, 6);
    stuck.awaitRecordsUpTo(T0, 6);
    good.awaitRecordsUpTo(T0, 6);
    assertEquals(List.of(0L, 1L, 4L, 5L), offsets(stuck.records(T0)));
    assertEquals(range(0, 6), offsets(good.records(T0)));
  }

  @Test
  void theNextBatchIsPolledWhileTheLoopsDeliverAndHandedOnlyOnceTheyHaveTakenTheOneBefore() throws Exception {
    kafka.topic("t", 1, 0, 0);
    BlockingQueue<Runnable> holding = new LinkedBlockingQueue<>();
    List<Integer> sizes = new CopyOnWriteArrayList<>();
    Recording slow = new Recording() {
      @Override
      public void records(List<FeedRecord> batch, Runnable taken) {
        super.records(batch, () -> { });
        sizes.add(batch.size());
        holding.add(taken); // delivering: its event loop is free (answers pings), it just has not finished
      }
    };
    feed.addSink(vertx.getOrCreateContext(), slow);
    feed.start();
    feed.want("t");
    slow.await("started " + T0 + "@0");
    kafka.records(T0, 0, 2);
    slow.awaitRecordsUpTo(T0, 2);

    kafka.records(T0, 2, 4);
    Awaits.until("the feed polls the next batch while the sink still delivers the one before",
        Duration.ofSeconds(30), () -> position(T0) == 4);
    kafka.records(T0, 4, 6);
    // an observation window for what must not happen: polling further ahead, or handing a batch before the
    // sink took the one before, would show within milliseconds
    Thread.sleep(500);
    assertEquals(4, position(T0), "at most one batch ahead of the sinks");
    assertEquals(range(0, 2), offsets(slow.records(T0)), "nothing handed before the batch before is taken");

    holding.poll(30, TimeUnit.SECONDS).run();
    slow.awaitRecordsUpTo(T0, 4);
    Awaits.until("then the feed polls on", Duration.ofSeconds(30), () -> position(T0) == 6);
    holding.poll(30, TimeUnit.SECONDS).run();
    slow.awaitRecordsUpTo(T0, 6);
    holding.poll(30, TimeUnit.SECONDS).run();
    assertEquals(range(0, 6), offsets(slow.records(T0)));
    assertEquals(List.of(2, 2, 2), sizes);
    assertEquals(0.0, count("tidegate.feed.sink.stalls"), "a loop that delivers is waited for, not skipped");
  }

  private long position(TopicPartition tp) {
    FeedFakes.Flaky c = kafka.newest();
    synchronized (c) {
      return c.assignment().contains(tp) ? c.position(tp) : -1;
    }
  }
}
