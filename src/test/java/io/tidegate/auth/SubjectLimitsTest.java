package io.tidegate.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tidegate.config.TidegateConfig;
import io.tidegate.error.ApiError;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Per-subject limits on a clock the test moves: connections held, publish rates, and what is remembered. */
class SubjectLimitsTest {
  private static final long SECOND = 1_000_000_000L;
  private final AtomicLong now = new AtomicLong(1_000 * SECOND);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private SubjectLimits limits(int connections, long records, long bytes) {
    return new SubjectLimits(new TidegateConfig.Limits(50_000, connections, records, bytes), registry, now::get);
  }

  private double refused(String limit) {
    return registry.get("tidegate.limits.refused").tag("limit", limit).counter().count();
  }

  @Test
  void aSubjectHoldsAtMostItsConnectionsAndASlotFreesWhenReleased() {
    SubjectLimits l = limits(2, 0, 0);
    SubjectLimits.Slot a = l.open("alice");
    SubjectLimits.Slot b = l.open("alice");
    ApiError e = assertThrows(ApiError.class, () -> l.open("alice"));
    assertEquals(429, e.status());
    assertTrue(e.retryAfterSeconds() > 0, "a Retry-After is given");
    assertTrue(e.detail().contains("limits.maxConnectionsPerSubject"), e.detail());
    l.open("bob"); // other subjects are not affected
    a.release();
    a.release(); // twice: still one slot freed
    SubjectLimits.Slot c = l.open("alice");
    assertThrows(ApiError.class, () -> l.open("alice"));
    assertEquals(2, l.held("alice"));
    b.release();
    c.release();
    assertEquals(0, l.held("alice"));
    assertEquals(1.0, registry.get("tidegate.limits.subjects").gauge().value(), "alice is forgotten, bob remains");
    assertEquals(2.0, refused("maxConnectionsPerSubject"));
  }

  @Test
  void anonymousIdentitiesAndAZeroLimitAreNotCounted() {
    SubjectLimits l = limits(1, 1, 1);
    for (int i = 0; i < 10; i++) {
      l.open(null);
      l.chargePublish(null, 1000, 1_000_000);
    }
    SubjectLimits unlimited = limits(0, 0, 0);
    for (int i = 0; i < 10; i++) {
      unlimited.open("alice");
      unlimited.chargePublish("alice", 1000, 1_000_000);
    }
    assertEquals(0, unlimited.held("alice"));
    assertEquals(0, unlimited.publishers());
  }

  @Test
  void connectionCountsHoldUnderConcurrentOpensAndReleases() throws Exception {
    SubjectLimits l = limits(50, 0, 0);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    AtomicInteger admitted = new AtomicInteger();
    List<SubjectLimits.Slot> slots = java.util.Collections.synchronizedList(new ArrayList<>());
    CountDownLatch done = new CountDownLatch(400);
    for (int i = 0; i < 400; i++) {
      pool.execute(() -> {
        try {
          slots.add(l.open("alice"));
          admitted.incrementAndGet();
        } catch (ApiError e) {
          // over the limit
        } finally {
          done.countDown();
        }
      });
    }
    assertTrue(done.await(30, TimeUnit.SECONDS));
    assertEquals(50, admitted.get(), "exactly the limit was admitted");
    CountDownLatch released = new CountDownLatch(slots.size());
    for (SubjectLimits.Slot s : List.copyOf(slots)) {
      pool.execute(() -> {
        s.release();
        released.countDown();
      });
    }
    assertTrue(released.await(30, TimeUnit.SECONDS));
    pool.shutdown();
    assertEquals(0, l.held("alice"));
    assertEquals(0.0, registry.get("tidegate.limits.subjects").gauge().value(), "no entry is left behind");
  }

  @Test
  void publishRecordsAreLimitedPerSubjectWithRetryAfterInWholeSeconds() {
    SubjectLimits l = limits(0, 10, 0);
    l.chargePublish("alice", 10, 0);
    ApiError e = assertThrows(ApiError.class, () -> l.chargePublish("alice", 1, 0));
    assertEquals(429, e.status());
    assertEquals(1, e.retryAfterSeconds(), "0.1 s rounds up to 1 s");
    assertTrue(e.detail().contains("limits.publishRecordsPerSecond"), e.detail());
    l.chargePublish("bob", 10, 0); // bob has his own bucket
    now.addAndGet(SECOND / 2);
    l.chargePublish("alice", 5, 0);
    assertThrows(ApiError.class, () -> l.chargePublish("alice", 1, 0));
    assertEquals(2.0, refused("publishRecordsPerSecond"));
  }

  @Test
  void aBatchIsChargedWholeToBothBucketsOrToNeither() {
    SubjectLimits l = limits(0, 100, 1000);
    l.chargePublish("alice", 1, 900);
    // records would fit, bytes do not: nothing is taken from the records bucket either
    ApiError e = assertThrows(ApiError.class, () -> l.chargePublish("alice", 99, 200));
    assertTrue(e.detail().contains("limits.publishBytesPerSecond"), e.detail());
    l.chargePublish("alice", 99, 100);
    assertEquals(1.0, refused("publishBytesPerSecond"));
    assertEquals(0.0, refused("publishRecordsPerSecond"));
  }

  @Test
  void aLargeBodyPassesWhenTheBucketIsFullAndItsDebtIsWaitedOut() {
    SubjectLimits l = limits(0, 0, 1000);
    l.chargePublish("alice", 1, 5000);
    ApiError e = assertThrows(ApiError.class, () -> l.chargePublish("alice", 1, 1));
    assertEquals(5, e.retryAfterSeconds(), "4,000 bytes of debt plus one at 1,000 a second");
    now.addAndGet(3 * SECOND);
    // the allowance is still remembered, though idle for longer than the one-second burst: its debt stands
    assertThrows(ApiError.class, () -> l.chargePublish("alice", 1, 1));
    assertEquals(1, l.publishers());
    now.addAndGet(2 * SECOND);
    l.chargePublish("alice", 1, 1);
  }

  @Test
  void anAllowanceIsForgottenOnceItsBucketsAreFullAgain() {
    SubjectLimits l = limits(0, 10, 0);
    for (int i = 0; i < 100; i++) {
      l.chargePublish("user-" + i, 10, 0);
    }
    assertEquals(100, l.publishers());
    now.addAndGet(SECOND + 1);
    assertEquals(0, l.publishers(), "full buckets are forgotten: the map holds only subjects that publish");
  }
}
