package io.tidegate.webhook;

import java.util.concurrent.ThreadLocalRandom;

/** How long to wait before the next attempt. */
final class Backoff {
  private Backoff() {}

  /**
   * After {@code failures} failed attempts: {@code initialMs} doubling per failure up to {@code maxMs}, less up to a
   * quarter at random (so receivers that failed together are not retried together), and never sooner than the
   * receiver's {@code Retry-After}.
   */
  static long delayMs(long initialMs, long maxMs, int failures, long retryAfterMs) {
    int shift = Math.min(Math.max(failures - 1, 0), 40);
    long base = Math.min(maxMs, initialMs << shift);
    if (base <= 0) {
      base = maxMs;
    }
    long jittered = base - ThreadLocalRandom.current().nextLong(base / 4 + 1);
    return Math.max(Math.max(1, jittered), retryAfterMs);
  }
}
