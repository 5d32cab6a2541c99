package io.tidegate.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.codec.RecordFilter;
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
    return topic(PER_PARTITION, i -> new byte[0]);
  }

  /** As {@link #topic()}, with {@code perPartition} records each, the i-th of a partition keyed {@code key(i)}. */
  private CountingConsumer topic(int perPartition, java.util.function.IntFunction<byte[]> key) {
    CountingConsumer c = new CountingConsumer();
    tps.clear();
    for (int p = 0; p < PARTITIONS; p++) {
      TopicPartition tp = new TopicPartition("t", p);
      tps.add(tp);
      begin.put(tp, 0L);
      end.put(tp, (long) perPartition);
    }
    c.assign(tps);
    c.updateBeginningOffsets(begin);
    c.updateEndOffsets(end);
    for (TopicPartition tp : tps) {
      c.seek(tp, 0);
      for (int i = 0; i < perPartition; i++) {
        c.addRecord(new ConsumerRecord<>("t", tp.partition(), i, (long) i * PARTITIONS + tp.partition(),
            TimestampType.CREATE_TIME, 0, 1, key.apply(i), new byte[] {1}, new RecordHeaders(), Optional.empty()));
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
        begin, end, System.nanoTime() + 30_000_000_000L).got());
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
        query(HistoryQuery.From.LATEST), tps, start, end, System.nanoTime() + 30_000_000_000L).got();
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

  private static final RecordFilter ALICE = RecordFilter.parse(new io.vertx.core.json.JsonObject().put("key", "alice"));
  private static final byte[] ALICE_KEY = "alice".getBytes(java.nio.charset.StandardCharsets.UTF_8);
  private static final byte[] BOB_KEY = "bob".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  private static HistoryQuery filtered(HistoryQuery.From from, int limit, RecordFilter filter) {
    return new HistoryQuery("t", from, 0, OptionalInt.empty(), OptionalLong.empty(), limit, filter);
  }

  private static long deadline() {
    return System.nanoTime() + 30_000_000_000L;
  }

  @Test
  void aFilteredPageHoldsOnlyRecordsThatPassAndStandsAfterWhatItExamined() {
    CountingConsumer c = topic(PER_PARTITION, i -> i % 10 == 0 ? ALICE_KEY : BOB_KEY);
    HistoryFetch.Fetched f = HistoryFetch.read(c, filtered(HistoryQuery.From.EARLIEST, 20, ALICE), tps, begin, end,
        deadline());
    List<ConsumerRecord<byte[], byte[]>> page = byTime(f.got());
    assertEquals(20, page.size(), "the limit counts records that pass");
    for (int i = 0; i < page.size(); i++) {
      assertEquals(new String(ALICE_KEY), new String(page.get(i).key()));
      // alice's records are offsets 0, 10, 20... of each partition; by time, 8 partitions interleave
      assertEquals((long) (i / PARTITIONS) * 10 * PARTITIONS + i % PARTITIONS, page.get(i).timestamp());
    }
    for (TopicPartition tp : tps) {
      // below where the page stands on a partition, the records that pass are exactly those on the page
      List<Long> passing = new ArrayList<>();
      for (long o = 0; o < f.examined().get(tp); o += 10) {
        passing.add(o);
      }
      assertEquals(passing, f.got().get(tp).stream().map(ConsumerRecord::offset).toList(), tp.toString());
    }
  }

  @Test
  void pagingOnFromWhereAFilteredPageStoodMissesNothingAndRepeatsNothing() {
    TopicPartition p0 = new TopicPartition("t", 0);
    List<Long> seen = new ArrayList<>();
    Map<TopicPartition, Long> from = Map.of(p0, 0L);
    for (int pages = 0; pages < 1000; pages++) {
      // a consumer per page, as HistoryReader reads (MockConsumer hands each record out once)
      CountingConsumer c = topic(PER_PARTITION, i -> i % 7 == 3 ? ALICE_KEY : BOB_KEY);
      HistoryFetch.Fetched f = HistoryFetch.read(c, new HistoryQuery("t", HistoryQuery.From.EARLIEST, 0,
          OptionalInt.of(0), OptionalLong.of(from.get(p0)), 30, ALICE), List.of(p0), from, Map.of(p0, end.get(p0)),
          deadline());
      f.got().get(p0).forEach(r -> seen.add(r.offset()));
      long next = Math.max(from.get(p0), f.examined().getOrDefault(p0, 0L)); // as HistoryReader answers "next"
      if (next == from.get(p0)) {
        break;
      }
      from = Map.of(p0, next);
    }
    List<Long> expected = new ArrayList<>();
    for (long o = 3; o < PER_PARTITION; o += 7) {
      expected.add(o);
    }
    assertEquals(expected, seen);
  }

  @Test
  void aFilteredPageExaminesABoundedNumberOfRecords() {
    int perPartition = 2 * HistoryFetch.MAX_EXAMINED / PARTITIONS;
    CountingConsumer c = topic(perPartition, i -> BOB_KEY);
    HistoryFetch.Fetched f = HistoryFetch.read(c, filtered(HistoryQuery.From.EARLIEST, 10, ALICE), tps, begin, end,
        deadline());
    assertTrue(byTime(f.got()).isEmpty());
    long examined = f.examined().values().stream().mapToLong(Long::longValue).sum();
    assertEquals(HistoryFetch.MAX_EXAMINED, examined, "examined up to the bound, and no further");
    assertTrue(c.handedOut <= HistoryFetch.MAX_EXAMINED + 100 * PARTITIONS, "fetched " + c.handedOut);
  }

  @Test
  void aFilteredLatestPageReachesBackForTheNewestRecordsThatPass() {
    CountingConsumer c = topic(PER_PARTITION, i -> i % 100 == 0 ? ALICE_KEY : BOB_KEY);
    // as HistoryReader starts a filtered "latest": from the beginning, read backwards
    HistoryFetch.Fetched f = HistoryFetch.read(c, filtered(HistoryQuery.From.LATEST, 16, ALICE), tps, begin, end,
        deadline());
    List<ConsumerRecord<byte[], byte[]>> page = byTime(f.got());
    assertEquals(16, page.size());
    for (ConsumerRecord<byte[], byte[]> r : page) {
      assertEquals("alice", new String(r.key()));
      assertTrue(r.offset() == 800 || r.offset() == 900, "the two newest of alice's on each partition: " + r.offset());
    }
    tps.forEach(tp -> assertEquals(end.get(tp), f.examined().get(tp), "read from the end of " + tp));
    assertTrue(c.handedOut <= HistoryFetch.MAX_EXAMINED + 500L * PARTITIONS, "fetched " + c.handedOut);
  }
}
