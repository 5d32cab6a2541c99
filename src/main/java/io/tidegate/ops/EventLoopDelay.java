package io.tidegate.ops;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;

/**
 * How late the event loop it runs on gets to a timer: a timer is armed every {@value #EVERY_MS} ms and the
 * time between when it was due and when it ran is recorded ({@code tidegate.eventloop.delay}, tagged with
 * the loop's thread name: one series per loop). A loop busy with one long task, or with more work than it
 * can take, shows here before clients notice. The timer belongs to the calling verticle's context, so it
 * stops when that verticle is undeployed.
 */
public final class EventLoopDelay {
  static final long EVERY_MS = 100;

  private final Vertx vertx;
  private final Timer delay;

  private EventLoopDelay(Vertx vertx, Timer delay) {
    this.vertx = vertx;
    this.delay = delay;
  }

  /** Call on the event loop to watch (a verticle's start). */
  public static void watch(Vertx vertx, MeterRegistry registry) {
    Timer delay = Timer.builder("tidegate.eventloop.delay").tag("loop", Thread.currentThread().getName())
        .description("How late timers run on the event loop (a blocked or overloaded loop shows here)")
        .register(registry);
    new EventLoopDelay(vertx, delay).arm();
  }

  private void arm() {
    long due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EVERY_MS);
    vertx.setTimer(EVERY_MS, id -> {
      delay.record(Math.max(0, System.nanoTime() - due), TimeUnit.NANOSECONDS);
      arm();
    });
  }
}
