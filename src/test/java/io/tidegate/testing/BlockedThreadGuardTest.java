package io.tidegate.testing;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/**
 * The guard the integration tests rely on: it must fail a test whose gateway event loop blocks for longer than
 * 100 ms, and pass one whose event loops only ran short tasks, even when they waited for a CPU.
 */
class BlockedThreadGuardTest {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final BlockedThreadGuard guard = new BlockedThreadGuard();
  private Vertx vertx;

  @BeforeEach
  void start() {
    guard.beforeEach(null);
    vertx = TestGateway.newVertx(); // exactly as the test gateways get theirs
  }

  @AfterEach
  void stop() {
    Awaits.result(vertx.close());
    BlockedThreadGuard.clear();
  }

  @Test
  void anEventLoopThatSleepsFailsTheTestWithTheCulpritsStack() {
    runOnEventLoop(vertx, BlockedThreadGuardTest::sleepOnTheEventLoop);
    AssertionFailedError failure = assertThrows(AssertionFailedError.class, () -> guard.afterEach(null));
    assertTrue(failure.getMessage().contains("sleepOnTheEventLoop"), failure.getMessage());
  }

  @Test
  void anEventLoopThatComputesForLongFailsTheTestWithTheCulpritsStack() {
    runOnEventLoop(vertx, () -> spinOnTheEventLoop(300));
    AssertionFailedError failure = assertThrows(AssertionFailedError.class, () -> guard.afterEach(null));
    assertTrue(failure.getMessage().contains("spinOnTheEventLoop"), failure.getMessage());
  }

  @Test
  void shortTasksPass() {
    for (int i = 0; i < 40; i++) {
      runOnEventLoop(vertx, () -> spinOnTheEventLoop(10));
    }
    assertDoesNotThrow(() -> guard.afterEach(null));
  }

  /**
   * Short tasks on a machine with far more busy threads than CPUs: each one takes well over 100 ms of wall-clock
   * time (Vert.x's checker fires), yet none is the event loop's doing, so the test passes.
   */
  @Test
  void shortTasksThatWaitForACpuPass() throws Exception {
    long excusedBefore = StallWatch.excused();
    AtomicBoolean hogging = new AtomicBoolean(true);
    List<Thread> hogs = new ArrayList<>();
    int n = 2 * Runtime.getRuntime().availableProcessors();
    for (int i = 0; i < n; i++) {
      Thread hog = new Thread(() -> {
        while (hogging.get()) {
          Thread.onSpinWait();
        }
      }, "cpu-hog-" + i);
      hog.setDaemon(true);
      hogs.add(hog);
      hog.start();
    }
    try {
      for (int i = 0; i < 3; i++) {
        runOnEventLoop(vertx, () -> spinOnTheEventLoop(60)); // over 100 ms of wall-clock time with 2 hogs per CPU
      }
    } finally {
      hogging.set(false);
      for (Thread hog : hogs) {
        hog.join();
      }
    }
    assertDoesNotThrow(() -> guard.afterEach(null));
    assertTrue(StallWatch.excused() > excusedBefore, "the tasks did run past Vert.x's limit in wall-clock time");
  }

  /** The test gateways' guard also hears Vert.x's own checker, for the other Vert.x instances in the JVM. */
  @Test
  void aBlockReportedByVertxsOwnCheckerFailsTheTest() {
    Vertx plain = Vertx.vertx(new VertxOptions()
        .setMaxEventLoopExecuteTime(100).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(20).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS));
    try {
      runOnEventLoop(plain, BlockedThreadGuardTest::sleepOnTheEventLoop);
      AssertionFailedError failure = assertThrows(AssertionFailedError.class, () -> guard.afterEach(null));
      assertTrue(failure.getMessage().contains("has been blocked"), failure.getMessage());
    } finally {
      Awaits.result(plain.close());
    }
  }

  /** Runs the task on an event loop of {@code on} and waits (on the test's thread) until it has run. */
  private static void runOnEventLoop(Vertx on, Runnable task) {
    CountDownLatch done = new CountDownLatch(1);
    on.runOnContext(v -> {
      try {
        task.run();
      } finally {
        done.countDown();
      }
    });
    try {
      assertTrue(done.await(60, TimeUnit.SECONDS), "the task ran");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Deliberately blocks the event loop: what the guard is there to catch. */
  private static void sleepOnTheEventLoop() {
    try {
      Thread.sleep(500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Keeps the event loop busy for this much CPU time (not wall-clock time, which a busy machine stretches). */
  private static void spinOnTheEventLoop(long cpuMs) {
    long end = THREADS.getCurrentThreadCpuTime() + TimeUnit.MILLISECONDS.toNanos(cpuMs);
    while (THREADS.getCurrentThreadCpuTime() < end) {
      Thread.onSpinWait();
    }
  }
}
