package io.tidegate.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class CatchUpConsumersTest {
  private final List<MockConsumer<byte[], byte[]>> built = new ArrayList<>();
  private final CatchUpConsumers pool = new CatchUpConsumers(() -> {
    MockConsumer<byte[], byte[]> c = new MockConsumer<>("none");
    built.add(c);
    return c;
  }, 2);

  @Test
  void aConsumerGivenBackIsUnassignedAndTheNextCatchUpTakesItInsteadOfBuildingOne() {
    var first = pool.take();
    TopicPartition tp = new TopicPartition("orders", 0);
    first.assign(List.of(tp));
    ((MockConsumer<byte[], byte[]>) first).updateBeginningOffsets(Map.of(tp, 0L));
    first.seek(tp, 5);
    pool.give(first);
    assertTrue(first.assignment().isEmpty(), "unassigned when kept");
    assertEquals(1, pool.idle());
    assertSame(first, pool.take());
    assertEquals(1, built.size(), "no second consumer built");
    assertEquals(0, pool.idle());
  }

  @Test
  void beyondTheBoundAConsumerGivenBackIsClosedAndAfterCloseIdleEveryOneIs() {
    var a = pool.take();
    var b = pool.take();
    var c = pool.take();
    assertEquals(3, built.size());
    pool.give(a);
    pool.give(b);
    pool.give(c);
    assertEquals(2, pool.idle());
    assertTrue(built.get(2).closed(), "the third, over the bound, is closed");
    assertTrue(!built.get(0).closed() && !built.get(1).closed());
    pool.closeIdle();
    assertEquals(0, pool.idle());
    assertTrue(built.get(0).closed() && built.get(1).closed());
    var d = pool.take();
    assertNotSame(a, d);
    pool.give(d);
    assertTrue(built.get(3).closed(), "given back after closeIdle: closed at once");
    assertEquals(0, pool.idle());
  }
}
