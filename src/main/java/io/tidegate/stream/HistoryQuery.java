package io.tidegate.stream;

import io.tidegate.codec.RecordFilter;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A page of a topic's history to read.
 *
 * @param topic     the topic
 * @param from      where to start on every partition: earliest, latest (the newest {@code limit}) or a time
 * @param timestamp epoch milliseconds when {@code from} is {@link From#TIMESTAMP}
 * @param partition only this partition, when present
 * @param offset    start at this offset of {@code partition}, when present (overrides {@code from})
 * @param limit     at most this many records
 * @param filter    only records that pass it (a row-level filter the caller's identity forces); others are skipped
 */
public record HistoryQuery(String topic, From from, long timestamp, OptionalInt partition, OptionalLong offset, int limit,
    RecordFilter filter) {

  /** A page of every record. */
  public HistoryQuery(String topic, From from, long timestamp, OptionalInt partition, OptionalLong offset, int limit) {
    this(topic, from, timestamp, partition, offset, limit, RecordFilter.ALL);
  }

  /** Where a page starts. */
  public enum From { EARLIEST, LATEST, TIMESTAMP }
}
