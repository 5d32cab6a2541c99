package io.tidegate.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The history read's fetching, against Kafka's MockConsumer (it hands out at most max.poll.records per poll). */
class HistoryReaderTest {
  static final int PARTITIONS = 8;
  static final int PER_PARTITION = 1000;

  /** Partition p holds records at times p, p + 8, p + 16, ...: interleaved, as a keyed topic's would be. */
  private static MockConsumer<byte[], byte[]> topic(List<TopicPartition> tps, Map<TopicPartition, Long> start,
      Map<TopicPartition, Long> end) {
    MockConsumer<byte[], byte[]> c = new MockConsumer<>("earliest");
    c.assign(tps);
    Map<TopicPartition, Long> begin = new HashMap<>();
    for (TopicPartition tp : tps) {
      begin.put(tp, 0L);
      start.put(tp, 0L);
      end.put(tp, (long) PER_PARTITION);
    }
    c.updateBeginningOffsets(begin);
    c.updateEndOffsets(end);
    for (TopicPartition tp : tps) {
      c.seek(tp, 0);
      for (int i = 0; i < PER_PARTITION; i++) {
        c.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), i, (long) i * PARTITIONS + tp.partition(),
            org.apache.kafka.common.record.TimestampType.CREATE_TIME, 0, 1, new byte[0], new byte[] {1},
            new org.apache.kafka.common.header.internals.RecordHeaders(), java.util.Optional.empty()));
      }
    }
    c.setMaxPollRecords(100);
    return c;
  }

  @Test
  void aPageFetchesAboutItsLimitInTotalNotItsLimitPerPartition() {
    List<TopicPartition> tps = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      tps.add(new TopicPartition("t", p));
    }
    Map<TopicPartition, Long> start = new HashMap<>();
    Map<TopicPartition, Long> end = new HashMap<>();
    MockConsumer<byte[], byte[]> c = topic(tps, start, end);
    int limit = 400;
    HistoryQuery q = new HistoryQuery("t", HistoryQuery.From.EARLIEST, 0, OptionalInt.empty(), OptionalLong.empty(), limit);

    Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> got =
        HistoryReader.collect(c, q, tps, start, end, System.nanoTime() + 30_000_000_000L);

    List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
    got.values().forEach(all::addAll);
    all.sort(Comparator.comparingLong(ConsumerRecord::timestamp));
    assertTrue(all.size() >= limit, "a full page: " + all.size());
    for (int i = 0; i < limit; i++) {
      assertEquals(i, all.get(i).timestamp(), "the page holds the earliest records of the topic, in time order");
    }
    long fetched = 0;
    for (TopicPartition tp : tps) {
      fetched += c.position(tp);
    }
    // the earliest 400 by time are 50 per partition; a bounded read fetches those plus at most a poll's worth
    assertTrue(fetched <= limit + 100 * PARTITIONS / 2, "fetched " + fetched + " records for a page of " + limit);
    long kept = got.values().stream().mapToLong(List::size).sum();
    assertTrue(kept <= limit + PARTITIONS, "kept " + kept + " records in memory for a page of " + limit);
  }
}
