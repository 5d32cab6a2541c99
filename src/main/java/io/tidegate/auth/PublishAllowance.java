package io.tidegate.auth;

/**
 * What one subject may still publish: a bucket of records and one of bytes (either absent when unlimited). A
 * publish is charged to both or to neither, under the allowance's own lock, held for a few arithmetic steps.
 */
final class PublishAllowance {
  static final String RECORDS = "publishRecordsPerSecond";
  static final String BYTES = "publishBytesPerSecond";

  /** Why a publish was refused: the limit (its config key's last part) and how long until it would pass. */
  record Refusal(String limit, long waitNanos) {}

  private final TokenBucket records;
  private final TokenBucket bytes;

  /** @param recordsPerSecond 0 for no limit; likewise {@code bytesPerSecond} */
  PublishAllowance(long recordsPerSecond, long bytesPerSecond, long now) {
    this.records = recordsPerSecond > 0 ? new TokenBucket(recordsPerSecond, now) : null;
    this.bytes = bytesPerSecond > 0 ? new TokenBucket(bytesPerSecond, now) : null;
  }

  /** Takes {@code recordCount} records and {@code byteCount} bytes, or nothing: null when taken, else why not. */
  synchronized Refusal charge(long recordCount, long byteCount, long now) {
    long recordsWait = records == null ? 0 : records.waitFor(recordCount, now);
    long bytesWait = bytes == null ? 0 : bytes.waitFor(byteCount, now);
    if (recordsWait > 0 || bytesWait > 0) {
      return recordsWait >= bytesWait ? new Refusal(RECORDS, recordsWait) : new Refusal(BYTES, bytesWait);
    }
    if (records != null) {
      records.take(recordCount);
    }
    if (bytes != null) {
      bytes.take(byteCount);
    }
    return null;
  }

  /** Nanoseconds until both buckets are full: until then, forgetting this allowance would forgive a debt. */
  synchronized long untilFull(long now) {
    return Math.max(records == null ? 0 : records.untilFull(now), bytes == null ? 0 : bytes.untilFull(now));
  }
}
