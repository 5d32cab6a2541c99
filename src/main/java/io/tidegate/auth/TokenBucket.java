package io.tidegate.auth;

/**
 * A token bucket: {@code perSecond} tokens a second, holding at most one second's worth (the burst).
 *
 * <p>A charge is all or nothing. One larger than the burst could never be taken whole, so it is taken when the
 * bucket is full and leaves it in debt, which later charges wait out (Guava's {@code RateLimiter} does the same:
 * an expensive request is paid for by the ones after it). The rate over time stays {@code perSecond} either way.
 *
 * <p>Integer arithmetic in billionths of a token, so that no rounding drifts; the caller passes the time
 * ({@code System.nanoTime()}, or a fake clock in tests). Not thread-safe: its owner synchronizes.
 */
final class TokenBucket {
  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  /** Larger charges are counted as this (a body is at most 2 GiB anyway); keeps the arithmetic in a long. */
  static final long MAX_COST = 4_000_000_000L;

  private final long perSecond;
  /** One second's worth, in billionths of a token. */
  private final long capacity;
  /** Tokens held, in billionths; negative while in debt. */
  private long balance;
  private long updatedAt;

  /** @param perSecond 1 to 10^9 tokens a second; the bucket starts full at {@code now} */
  TokenBucket(long perSecond, long now) {
    if (perSecond < 1 || perSecond > NANOS_PER_SECOND) {
      throw new IllegalArgumentException("perSecond must be 1 to 10^9, got " + perSecond);
    }
    this.perSecond = perSecond;
    this.capacity = perSecond * NANOS_PER_SECOND;
    this.balance = capacity;
    this.updatedAt = now;
  }

  /** Nanoseconds until {@code cost} may be taken: 0 when it may be now. */
  long waitFor(long cost, long now) {
    refill(now);
    long need = Math.min(scaled(cost), capacity);
    return balance >= need ? 0 : ceilDiv(need - balance, perSecond);
  }

  /** Takes {@code cost} (call after {@link #waitFor} answered 0 at the same time). */
  void take(long cost) {
    balance -= scaled(cost);
  }

  /** Nanoseconds until the bucket is full again, when forgetting it changes nothing. */
  long untilFull(long now) {
    refill(now);
    return ceilDiv(capacity - balance, perSecond);
  }

  private void refill(long now) {
    long elapsed = now - updatedAt;
    if (elapsed <= 0) {
      return; // the same instant, or a clock that went back: nothing accrues
    }
    updatedAt = now;
    long missing = capacity - balance;
    if (missing <= 0) {
      return;
    }
    // each nanosecond brings perSecond billionths of a token; compare before multiplying, so nothing overflows
    balance = elapsed >= ceilDiv(missing, perSecond) ? capacity : balance + elapsed * perSecond;
  }

  private static long scaled(long cost) {
    return Math.min(Math.max(cost, 0), MAX_COST) * NANOS_PER_SECOND;
  }

  private static long ceilDiv(long a, long b) {
    return a <= 0 ? 0 : (a + b - 1) / b;
  }
}
