package io.tidegate.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The guard the integration tests rely on must actually hear the blocked-thread checker. */
class BlockedThreadGuardTest {
  @Test
  void aBlockedEventLoopIsReported() throws Exception {
    BlockedThreadGuard.clear();
    Vertx vertx = Vertx.vertx(new VertxOptions()
        .setMaxEventLoopExecuteTime(50).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(20).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS));
    try {
      vertx.runOnContext(v -> {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400);
        while (System.nanoTime() < end) {
          Thread.onSpinWait(); // deliberately hog the event loop
        }
      });
      Awaits.until("the checker reports", () -> !BlockedThreadGuard.reports().isEmpty());
      assertFalse(BlockedThreadGuard.reports().isEmpty());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      BlockedThreadGuard.clear();
    }
  }
}
