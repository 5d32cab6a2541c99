package io.tidegate.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** The delivery's pure parts, without a broker: per-key order and commits, backoff, host patterns, Retry-After. */
class WebhookPartsTest {
  private final PartitionLedger ledger = new PartitionLedger();

  private PartitionLedger.Job job(long offset, String key) {
    byte[] k = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
    ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>("t", 0, offset, k, new byte[0]);
    return new PartitionLedger.Job(KafkaConsumerRecord.class.cast(wrap(r)), ledger);
  }

  @SuppressWarnings("unchecked")
  private static KafkaConsumerRecord<byte[], byte[]> wrap(ConsumerRecord<byte[], byte[]> r) {
    try {
      // vertx-kafka-client's own wrapper, as its consumer hands records over
      return (KafkaConsumerRecord<byte[], byte[]>) Class.forName("io.vertx.kafka.client.consumer.impl.KafkaConsumerRecordImpl")
          .getConstructor(ConsumerRecord.class).newInstance(r);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aKeysLaterRecordWaitsForTheEarlierOneWhileOtherKeysGoAtOnce() {
    PartitionLedger.Job a0 = job(0, "a");
    PartitionLedger.Job b1 = job(1, "b");
    PartitionLedger.Job a2 = job(2, "a");
    PartitionLedger.Job n3 = job(3, null);
    PartitionLedger.Job n4 = job(4, null);
    assertTrue(ledger.add(a0));
    assertTrue(ledger.add(b1), "another key is not held back");
    assertFalse(ledger.add(a2), "the same key waits");
    assertTrue(ledger.add(n3), "records without a key have no order to keep");
    assertTrue(ledger.add(n4));
    assertEquals(5, ledger.unfinished());
    assertNull(ledger.done(b1));
    assertSame(a2, ledger.done(a0), "finishing a key's record hands over its next one");
    assertNull(ledger.done(a2));
  }

  @Test
  void onlyOffsetsBelowWhichEverythingIsFinishedAreCommitted() {
    PartitionLedger.Job a0 = job(10, "a");
    PartitionLedger.Job b1 = job(11, "b");
    PartitionLedger.Job c2 = job(12, "c");
    ledger.add(a0);
    ledger.add(b1);
    ledger.add(c2);
    assertEquals(10, ledger.toCommit(), "nothing finished: the first record's offset");
    ledger.done(b1);
    ledger.done(c2);
    assertEquals(10, ledger.toCommit(), "a later record finished first does not move the commit past an earlier one");
    ledger.committed(10);
    assertEquals(-1, ledger.toCommit(), "nothing new");
    ledger.done(a0);
    assertEquals(13, ledger.toCommit(), "all finished: the offset after the last record");
    ledger.committed(13);
    ledger.skip(13);
    assertEquals(14, ledger.toCommit(), "a record the filter left out is committed past");
  }

  @Test
  void recordsFinishedPastASlowOneAreHeldAndCountedAsWhatAHandOverRepeats() {
    PartitionLedger.Job slow = job(20, "slow");
    ledger.add(slow);
    PartitionLedger.Job b = job(21, "b");
    PartitionLedger.Job c = job(22, "c");
    ledger.add(b);
    ledger.add(c);
    ledger.done(b);
    ledger.done(c);
    assertEquals(2, ledger.ahead(), "delivered, but not committable past the slow record");
    assertEquals(3, ledger.exposed(), "a new owner would send all three again");
    ledger.done(slow);
    assertEquals(0, ledger.ahead());
    assertEquals(23, ledger.toCommit());
    ledger.committed(23);
    assertEquals(0, ledger.exposed(), "committed: nothing is sent again");
  }

  @Test
  void revokingGivesUpWhatIsInFlight() {
    ledger.add(job(0, "a"));
    ledger.add(job(1, "a"));
    assertEquals(2, ledger.revoke());
    assertTrue(ledger.revoked());
    assertEquals(0, ledger.unfinished());
  }

  @Test
  void backoffDoublesUpToMaxWithJitterAndNeverUndercutsRetryAfter() {
    for (int i = 0; i < 200; i++) {
      long first = Backoff.delayMs(1000, 8000, 1, 0);
      assertTrue(first >= 750 && first <= 1000, "first retry near initialMs: " + first);
      long third = Backoff.delayMs(1000, 8000, 3, 0);
      assertTrue(third >= 3000 && third <= 4000, "doubled twice: " + third);
      long late = Backoff.delayMs(1000, 8000, 30, 0);
      assertTrue(late >= 6000 && late <= 8000, "capped at maxMs: " + late);
      assertEquals(5000, Backoff.delayMs(10, 20, 1, 5000), "Retry-After wins when longer");
    }
  }

  @Test
  void hostPatternsMatchWholeNamesAndSubdomainsOnly() {
    HostPatterns hosts = new HostPatterns(java.util.List.of("localhost", "*.hooks.example.com", "::1"));
    assertTrue(hosts.allows("localhost"));
    assertTrue(hosts.allows("LOCALHOST"));
    assertTrue(hosts.allows("a.hooks.example.com"));
    assertTrue(hosts.allows("[::1]"));
    assertFalse(hosts.allows("hooks.example.com"), "*.domain covers names under it only");
    assertFalse(hosts.allows("evilhooks.example.com"));
    assertFalse(hosts.allows("localhost.evil.com"));
    assertFalse(hosts.allows("127.0.0.1"));
    assertTrue(new HostPatterns(java.util.List.of("*")).allows("anything.example"));
  }

  @Test
  void retryAfterReadsSecondsAndHttpDates() {
    assertEquals(2000, Sender.retryAfterMs("2"));
    assertEquals(0, Sender.retryAfterMs("soon"));
    assertEquals(0, Sender.retryAfterMs(null));
    assertEquals(0, Sender.retryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT"), "a date in the past: at once");
    String inAMinute = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME
        .format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(60));
    long ms = Sender.retryAfterMs(inAMinute);
    assertTrue(ms > 55_000 && ms <= 60_000, "an HTTP date a minute ahead: " + ms);
  }
}
