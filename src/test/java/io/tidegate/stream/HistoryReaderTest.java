package io.tidegate.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/**
 * How a history page is read, against Kafka's MockConsumer (at most max.poll.records per poll): the page is
 * right, and what it fetches is bounded by its limit in total, not by its limit per partition.
 */
class HistoryReaderTest {
  static final int PARTITIONS = 8;
  static final int PER_PARTITION = 1000;
  static final int LIMIT = 400;

  /** Counts the records its polls hand out. */
  static final class CountingConsumer extends MockConsumer<byte[], byte[]> {
    long handedOut;

    CountingConsumer() {
      super("earliest");
    }

    @Override
    public synchronized ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
      ConsumerRecords<byte[], byte[]> r = super.poll(timeout);
      handedOut += r.count();
      return r;
    }
  }

  private final List<TopicPartition> tps = new ArrayList<>();
  private final Map<TopicPartition, Long> begin = new HashMap<>();
  private final Map<TopicPartition, Long> end = new HashMap<>();

  /** Partition p holds records at times p, p + 8, p + 16, ...: interleaved, as a keyed topic's would be. */
  private CountingConsumer topic() {
    CountingConsumer c = new CountingConsumer();
    for (int p = 0; p < PARTITIONS; p++) {
      TopicPartition tp = new TopicPartition("t", p);
      tps.add(tp);
      begin.put(tp, 0L);
      end.put(tp, (long) PER_PARTITION);
    }
    c.assign(tps);
    c.updateBeginningOffsets(begin);
    c.updateEndOffsets(end);
    for (TopicPartition tp : tps) {
      c.seek(tp, 0);
      for (int i = 0; i < PER_PARTITION; i++) {
        c.addRecord(new ConsumerRecord<>("t", tp.partition(), i, (long) i * PARTITIONS + tp.partition(),
            TimestampType.CREATE_TIME, 0, 1, new byte[0], new byte[] {1}, new RecordHeaders(), Optional.empty()));
      }
    }
    c.setMaxPollRecords(100);
    return c;
  }

  private static List<ConsumerRecord<byte[], byte[]>> byTime(Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> got) {
    List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
    got.values().forEach(all::addAll);
    all.sort(Comparator.comparingLong(ConsumerRecord::timestamp));
    return all;
  }

  private static HistoryQuery query(HistoryQuery.From from) {
    return new HistoryQuery("t", from, 0, OptionalInt.empty(), OptionalLong.empty(), LIMIT);
  }

  @Test
  void anEarliestPageFetchesAboutItsLimitInTotal() {
    CountingConsumer c = topic();
    List<ConsumerRecord<byte[], byte[]>> page = byTime(HistoryFetch.read(c, query(HistoryQuery.From.EARLIEST), tps,
        begin, end, System.nanoTime() + 30_000_000_000L));
    assertEquals(LIMIT, page.size());
    for (int i = 0; i < LIMIT; i++) {
      assertEquals(i, page.get(i).timestamp(), "the page holds the earliest records of the topic, in time order");
    }
    // the earliest 400 by time are 50 per partition; a bounded read fetches those plus a poll's worth per partition
    assertTrue(c.handedOut <= LIMIT + 100 * PARTITIONS, "fetched " + c.handedOut + " records for a page of " + LIMIT
        + " (" + LIMIT * PARTITIONS + " is the limit per partition)");
  }

  @Test
  void aLatestPageFetchesAboutItsLimitInTotal() {
    CountingConsumer c = topic();
    Map<TopicPartition, Long> start = new HashMap<>();
    tps.forEach(tp -> start.put(tp, end.get(tp) - LIMIT)); // as HistoryReader starts "latest"
    Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> got = HistoryFetch.read(c,
        query(HistoryQuery.From.LATEST), tps, start, end, System.nanoTime() + 30_000_000_000L);
    List<ConsumerRecord<byte[], byte[]>> page = byTime(got);
    assertEquals(LIMIT, page.size());
    long newest = (long) PER_PARTITION * PARTITIONS - 1;
    for (int i = 0; i < LIMIT; i++) {
      assertEquals(newest - LIMIT + 1 + i, page.get(i).timestamp(), "the page holds the newest records, in time order");
    }
    for (List<ConsumerRecord<byte[], byte[]>> partition : got.values()) {
      for (int i = 1; i < partition.size(); i++) {
        assertEquals(partition.get(i - 1).offset() + 1, partition.get(i).offset(), "each partition in offset order");
      }
    }
    assertTrue(c.handedOut <= 2L * LIMIT, "fetched " + c.handedOut + " records for a page of " + LIMIT
        + " (" + LIMIT * PARTITIONS + " is the limit per partition)");
  }
}
