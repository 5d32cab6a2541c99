package io.tidegate.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BudgetTest {
  private final List<Boolean> changes = new ArrayList<>();
  private final Budget budget = new Budget(1000, changes::add);

  @Test
  void theTransportsSumFollowsEveryClientsQueue() {
    java.util.concurrent.atomic.LongAdder transport = new java.util.concurrent.atomic.LongAdder();
    Budget a = new Budget(1000, transport, now -> { });
    Budget b = new Budget(1000, transport, now -> { });
    a.queued(300);
    b.queued(200);
    assertEquals(500, transport.sum());
    a.written(300);
    b.clear(); // a closed client: its writes still complete (failed), and are taken off then
    assertEquals(200, transport.sum());
    b.written(200);
    assertEquals(0, transport.sum());
  }

  @Test
  void congestedPastHalfAndDrainedAtAQuarter() {
    budget.queued(400);
    budget.check();
    assertFalse(budget.congested());
    budget.queued(100);
    budget.check();
    assertTrue(budget.congested());
    budget.written(200); // 300 left: still above a quarter
    assertTrue(budget.congested());
    budget.written(50);
    assertFalse(budget.congested());
    assertEquals(List.of(true, false), changes);
  }

  @Test
  void fullCountsWhatIsGatheredButNotYetHandedOver() {
    budget.queued(900);
    assertFalse(budget.full(0));
    assertFalse(budget.full(99));
    assertTrue(budget.full(100));
    budget.queued(100);
    assertTrue(budget.full(0));
  }

  @Test
  void waitersRunOnceTheClientDrainedAndOnlyThen() {
    List<String> ran = new ArrayList<>();
    budget.queued(1000);
    budget.whenDrained(() -> ran.add("a"));
    budget.whenDrained(() -> ran.add("b"));
    assertTrue(budget.waiting());
    assertTrue(budget.congested());
    budget.written(700);
    assertEquals(List.of(), ran, "300 is still above a quarter");
    budget.written(100);
    assertEquals(List.of("a", "b"), ran);
    assertFalse(budget.waiting());
    assertFalse(budget.congested());
  }

  @Test
  void aWaiterWithNothingInFlightRunsAtOnce() {
    List<String> ran = new ArrayList<>();
    budget.whenDrained(() -> ran.add("now"));
    assertEquals(List.of("now"), ran);
    assertFalse(budget.congested());
  }

  @Test
  void completionsCountEveryWrite() {
    budget.queued(10);
    budget.queued(10);
    assertEquals(0, budget.completions());
    budget.written(10);
    budget.written(10);
    assertEquals(2, budget.completions());
    assertEquals(0, budget.queued());
  }

  @Test
  void clearForgetsWaiters() {
    List<String> ran = new ArrayList<>();
    budget.queued(1000);
    budget.whenDrained(() -> ran.add("never"));
    budget.clear();
    budget.written(1000);
    assertEquals(List.of(), ran);
  }
}
