package io.tidegate.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One timer per loop serves every connection's deadline, in deadline order; replaced and withdrawn ones never fire. */
class DeadlinesTest {
  private Vertx vertx;
  private Context loop;
  private Deadlines deadlines;
  private final List<String> fired = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    loop = vertx.getOrCreateContext();
    deadlines = on(() -> new Deadlines(vertx));
  }

  @AfterEach
  void stop() {
    Awaits.result(vertx.close());
  }

  /** Runs on the loop, as the endpoints do. */
  private <T> T on(java.util.function.Supplier<T> action) {
    Promise<T> p = Promise.promise();
    loop.runOnContext(v -> p.complete(action.get()));
    return Awaits.result(p.future());
  }

  /** Sets every deadline in one task on the loop, each relative to the same instant. */
  private void watch(Object... ownersAndDelays) {
    on(() -> {
      long now = System.currentTimeMillis();
      for (int i = 0; i < ownersAndDelays.length; i += 2) {
        String owner = (String) ownersAndDelays[i];
        deadlines.watch(owner, now + (Integer) ownersAndDelays[i + 1], () -> fired.add(owner));
      }
      return null;
    });
  }

  @Test
  void deadlinesFireInTheirOrderWhateverTheOrderTheyWereSet() {
    watch("c", 600, "a", 200, "b", 400);
    Awaits.until("all three fire", Duration.ofSeconds(10), () -> fired.size() == 3);
    assertEquals(List.of("a", "b", "c"), fired);
    assertEquals(0, (int) on(deadlines::size), "nothing is held once fired");
  }

  @Test
  void aReplacedDeadlineFiresOnlyAtItsNewTimeAndAWithdrawnOneNever() {
    on(() -> {
      long now = System.currentTimeMillis();
      deadlines.watch("replaced", now + 150, () -> fired.add("replaced (first)"));
      deadlines.watch("withdrawn", now + 150, () -> fired.add("withdrawn"));
      deadlines.watch("marker", now + 500, () -> fired.add("marker"));
      deadlines.watch("replaced", now + 800, () -> fired.add("replaced")); // a new token's later expiry
      deadlines.unwatch("withdrawn"); // the connection closed
      return null;
    });
    Awaits.until("the marker fires", Duration.ofSeconds(10), () -> fired.contains("marker"));
    assertEquals(List.of("marker"), fired, "neither the replaced deadline nor the withdrawn one fired at 150 ms");
    Awaits.until("the replaced deadline fires at its new time", Duration.ofSeconds(10), () -> fired.size() == 2);
    assertEquals(List.of("marker", "replaced"), fired);
  }

  @Test
  void anActionThatFailsDoesNotStopTheOthersAndStopEndsEverything() {
    on(() -> {
      long now = System.currentTimeMillis();
      deadlines.watch("bad", now + 100, () -> {
        throw new IllegalStateException("boom (expected in this test)");
      });
      deadlines.watch("good", now + 100, () -> fired.add("good"));
      deadlines.watch("later", now + 2000, () -> fired.add("later"));
      return null;
    });
    Awaits.until("the good one fires", Duration.ofSeconds(10), () -> fired.contains("good"));
    on(() -> {
      deadlines.stop();
      return null;
    });
    Awaits.stays("nothing fires after stop", Duration.ofMillis(2300), () -> !fired.contains("later"));
    assertTrue(on(deadlines::size) == 0);
  }
}
