package io.tidegate.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The event-loop delay probe sees a loop that one task holds up (here on purpose: no gateway runs on it). */
class EventLoopDelayTest {
  private final Vertx vertx = Vertx.vertx();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aTaskThatHoldsTheLoopShowsAsTheDelayOfItsTimer() throws Exception {
    Context loop = vertx.getOrCreateContext();
    CompletableFuture<String> thread = new CompletableFuture<>();
    loop.runOnContext(v -> {
      EventLoopDelay.watch(vertx, registry);
      thread.complete(Thread.currentThread().getName());
    });
    Timer delay = registry.get("tidegate.eventloop.delay").tag("loop", thread.get(10, TimeUnit.SECONDS)).timer();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (delay.count() < 3 && System.nanoTime() < until) {
      Thread.sleep(20); // the probe fires every 100 ms
    }
    assertTrue(delay.count() >= 3, "the probe runs: " + delay.count());
    loop.runOnContext(v -> {
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400);
      while (System.nanoTime() < end) {
        Thread.onSpinWait(); // holds the loop, as a blocking call would
      }
    });
    while (delay.max(TimeUnit.MILLISECONDS) < 250 && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertTrue(delay.max(TimeUnit.MILLISECONDS) >= 250, "the held loop's timer ran late: " + delay.max(TimeUnit.MILLISECONDS));
    assertEquals(1, registry.find("tidegate.eventloop.delay").timers().size());
  }
}
