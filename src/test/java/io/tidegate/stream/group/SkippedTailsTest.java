package io.tidegate.stream.group;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tidegate.codec.RecordFilter;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** A filtered group member's commit of the last record it received also covers the records skipped after it. */
class SkippedTailsTest {
  private static final TopicPartition P0 = new TopicPartition("n", 0);
  private static final TopicPartition P1 = new TopicPartition("n", 1);
  private static final Map<String, RecordFilter> ALICE =
      Map.of("n", RecordFilter.parse(new JsonObject().put("key", "alice")));

  private static ConsumerRecord<byte[], byte[]> r(int partition, long offset, String key) {
    return new ConsumerRecord<>("n", partition, offset, key.getBytes(StandardCharsets.UTF_8), new byte[0]);
  }

  private static List<Long> offsets(List<ConsumerRecord<byte[], byte[]>> records) {
    return records.stream().map(ConsumerRecord::offset).toList();
  }

  @Test
  void onlyMatchingRecordsAreSentAndTheLastOneCommitsThroughTheSkippedTail() {
    SkippedTails t = new SkippedTails();
    assertEquals(List.of(0L, 2L), offsets(t.sift(List.of(r(0, 0, "alice"), r(0, 1, "bob"), r(0, 2, "alice"),
        r(0, 3, "bob"), r(0, 4, "carol")), ALICE)));
    assertEquals(4, t.through(P0, 2), "the last record received covers 3 and 4, skipped");
    assertEquals(0, t.through(P0, 0), "an earlier record covers only itself");
    assertEquals(List.of(), t.sift(List.of(r(0, 5, "bob"), r(0, 6, "bob")), ALICE));
    assertEquals(6, t.through(P0, 2), "a batch with nothing for the client extends the tail");
    assertEquals(List.of(7L), offsets(t.sift(List.of(r(0, 7, "alice")), ALICE)));
    assertEquals(2, t.through(P0, 2), "no longer the last record received: itself only");
    assertEquals(7, t.through(P0, 7));
  }

  @Test
  void partitionsAreKeptApartAndForgottenWhenTheyGo() {
    SkippedTails t = new SkippedTails();
    t.sift(List.of(r(0, 0, "alice"), r(1, 0, "alice"), r(0, 1, "bob"), r(1, 1, "alice"), r(1, 2, "bob")), ALICE);
    assertEquals(1, t.through(P0, 0));
    assertEquals(2, t.through(P1, 1));
    t.forget(List.of(P0));
    assertEquals(0, t.through(P0, 0), "a partition that went carries nothing over");
    assertEquals(2, t.through(P1, 1));
  }

  @Test
  void aTopicWithoutAFilterPassesNothing() {
    SkippedTails t = new SkippedTails();
    assertEquals(List.of(), t.sift(List.of(r(0, 0, "alice")), Map.of()));
  }
}
