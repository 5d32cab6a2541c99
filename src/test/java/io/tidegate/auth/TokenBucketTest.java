package io.tidegate.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The bucket's arithmetic, on a clock the test moves (nanoseconds). */
class TokenBucketTest {
  private static final long MS = 1_000_000L;
  private static final long SECOND = 1_000_000_000L;

  @Test
  void aFullBucketHoldsOneSecondsWorthAndRefillsAtTheRate() {
    TokenBucket b = new TokenBucket(10, 0);
    assertEquals(0, b.waitFor(10, 0), "the burst is one second's worth, available at once");
    b.take(10);
    assertEquals(100 * MS, b.waitFor(1, 0), "the next token comes a tenth of a second later");
    assertEquals(50 * MS, b.waitFor(1, 50 * MS), "half of it has accrued after 50 ms");
    assertEquals(0, b.waitFor(1, 100 * MS));
    assertEquals(400 * MS, b.waitFor(5, 100 * MS), "one token held, four more to wait for");
  }

  @Test
  void aRefusedChargeTakesNothing() {
    TokenBucket b = new TokenBucket(100, 0);
    b.take(60);
    assertEquals(200 * MS, b.waitFor(60, 0), "40 held, 20 more needed at 100 a second");
    // refused: not taken. 40 are still there for a smaller charge
    assertEquals(0, b.waitFor(40, 0));
  }

  @Test
  void itNeverHoldsMoreThanTheBurstHoweverLongItWaits() {
    TokenBucket b = new TokenBucket(5, 0);
    b.take(5);
    long hourLater = 3600 * SECOND;
    assertEquals(0, b.waitFor(5, hourLater));
    b.take(5);
    assertEquals(200 * MS, b.waitFor(1, hourLater), "an hour of idleness saved no more than one second's worth");
    assertEquals(0, b.untilFull(hourLater + SECOND));
  }

  @Test
  void aChargeLargerThanTheBurstPassesWhenFullAndLeavesADebt() {
    TokenBucket b = new TokenBucket(100, 0);
    assertEquals(0, b.waitFor(300, 0), "a full bucket lets an oversized charge through");
    b.take(300);
    // 200 tokens of debt plus one to hold: 2.01 s
    assertEquals(2010 * MS, b.waitFor(1, 0));
    assertEquals(3 * SECOND, b.untilFull(0), "full again once the debt and the burst are paid back");
    assertEquals(1 * SECOND, b.waitFor(300, 2 * SECOND), "an oversized charge waits for a full bucket");
    assertEquals(0, b.waitFor(300, 3 * SECOND));
  }

  @Test
  void theRateOverALongRunIsTheConfiguredOne() {
    TokenBucket b = new TokenBucket(1000, 0);
    long taken = 0;
    for (long now = 0; now <= 10 * SECOND; now += 7 * MS) { // asking for 30 every 7 ms (4,285 a second) for 10 s
      if (b.waitFor(30, now) == 0) {
        b.take(30);
        taken += 30;
      }
    }
    // the burst (1,000) plus 10 s at 1,000 a second, give or take one charge
    assertEquals(11_000, taken, 30);
  }

  @Test
  void aClockThatGoesBackAccruesNothing() {
    TokenBucket b = new TokenBucket(10, 5 * SECOND);
    b.take(10);
    assertEquals(100 * MS, b.waitFor(1, 4 * SECOND));
  }

  @Test
  void hugeRatesAndChargesStayInALong() {
    TokenBucket b = new TokenBucket(1_000_000_000L, 0);
    assertEquals(0, b.waitFor(Long.MAX_VALUE, 0));
    b.take(Long.MAX_VALUE); // counted as TokenBucket.MAX_COST
    assertEquals(4 * SECOND, b.untilFull(0), "3e9 of debt and the 1e9 burst, at 1e9 a second");
    assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 0));
  }
}
