package io.tidegate.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class FeedTailTest {
  private static final TopicPartition P0 = new TopicPartition("t", 0);
  private static final TopicPartition P1 = new TopicPartition("t", 1);
  private static final Counter EVALUATIONS = Counter.builder("e").register(new SimpleMeterRegistry());
  /** Every record below is 100 frame bytes, counted twice (the bytes and the WebSocket frame), and 256 besides. */
  private static final int SIZE = 456;

  private static FeedRecord record(TopicPartition tp, long offset) {
    byte[] frame = "x".repeat(100).getBytes(StandardCharsets.US_ASCII);
    return new FeedRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), offset, null, null), frame, EVALUATIONS);
  }

  private static List<Long> offsets(List<FeedRecord> records) {
    return records.stream().map(FeedRecord::offset).toList();
  }

  @Test
  void coversWhatTheFeedReadSinceThePartitionStartedAndFindsByOffset() {
    FeedTail tail = new FeedTail(100 * SIZE, null);
    tail.started(P0, 10);
    assertTrue(tail.covers(P0, 10), "an empty tail covers the position the feed starts at");
    assertFalse(tail.covers(P0, 9));
    assertFalse(tail.covers(P1, 0), "a partition the feed does not read here");
    for (long o : new long[] {10, 11, 14, 15}) { // 12 and 13 are not in the log (compacted, or markers)
      tail.add(P0, record(P0, o));
    }
    assertEquals(List.of(10L, 11L, 14L), offsets(tail.from(P0, 10, 3)));
    assertEquals(List.of(14L, 15L), offsets(tail.from(P0, 12, 16)), "from the first record at or after the offset");
    assertEquals(List.of(), offsets(tail.from(P0, 16, 16)), "nothing past the end");
    assertEquals(4 * SIZE, tail.bytes());
  }

  @Test
  void theOldestRecordsGoFirstWhateverTheirPartitionAndTheStartMovesPastThem() {
    LongAdder gauge = new LongAdder();
    FeedTail tail = new FeedTail(3 * SIZE, gauge);
    tail.started(P0, 0);
    tail.started(P1, 0);
    tail.add(P0, record(P0, 0));
    tail.add(P1, record(P1, 0));
    tail.add(P0, record(P0, 1));
    tail.add(P1, record(P1, 1)); // over the bound: P0's offset 0, the oldest, goes
    assertEquals(3, tail.records());
    assertEquals(3 * SIZE, tail.bytes());
    assertEquals(3 * SIZE, gauge.sum());
    assertFalse(tail.covers(P0, 0), "what was evicted is no longer covered");
    assertTrue(tail.covers(P0, 1));
    assertTrue(tail.covers(P1, 0));
    assertEquals(List.of(1L), offsets(tail.from(P0, 0, 16)));
    for (long o = 2; o < 3000; o++) { // a long run: kept to the bound, the ring compacts as it goes
      tail.add(P1, record(P1, o));
    }
    assertEquals(3, tail.records());
    assertFalse(tail.covers(P0, 1), "P0's last record went too");
    assertTrue(tail.covers(P0, 2), "P0 is covered from after its last evicted record");
    assertEquals(List.of(2997L, 2998L, 2999L), offsets(tail.from(P1, 0, 16)));
    assertEquals(3 * SIZE, gauge.sum());
  }

  @Test
  void aJumpOrAStopEmptiesThePartitionAndGivesItsBytesBack() {
    LongAdder gauge = new LongAdder();
    FeedTail tail = new FeedTail(100 * SIZE, gauge);
    tail.started(P0, 0);
    for (long o = 0; o < 5; o++) {
      tail.add(P0, record(P0, o));
      tail.add(P1, record(P1, o));
    }
    tail.jumped(P0, 50);
    assertFalse(tail.covers(P0, 4), "not contiguous with what comes next");
    assertTrue(tail.covers(P0, 50));
    assertEquals(List.of(), tail.from(P0, 0, 16));
    assertEquals(5, tail.records());
    assertEquals(5 * SIZE, gauge.sum());
    tail.stopped(P1);
    assertFalse(tail.covers(P1, 0));
    assertEquals(0, tail.records());
    assertEquals(0, gauge.sum());
  }

  @Test
  void aTailOfNoBytesKeepsNothingAndCoversNothing() {
    FeedTail tail = new FeedTail(0, null);
    tail.started(P0, 0);
    tail.add(P0, record(P0, 0));
    assertFalse(tail.covers(P0, 0));
    assertEquals(0, tail.records());
  }
}
