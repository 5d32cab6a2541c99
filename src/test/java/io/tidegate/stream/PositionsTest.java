package io.tidegate.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** A subscription's positions: an array by partition that is also a map, in partition order. */
class PositionsTest {
  @Test
  void aPartitionWithoutAPositionHasNone() {
    Positions p = new Positions();
    assertEquals(Positions.NONE, p.at(0));
    assertEquals(Positions.NONE, p.at(-1));
    assertEquals(Positions.NONE, p.at(1_000));
    assertNull(p.get(3));
    assertNull(p.get("3"));
    assertEquals(-1, p.last());
    assertTrue(p.isEmpty());
  }

  @Test
  void positionsAreSetAndReadByPartitionThroughEitherFace() {
    Positions p = new Positions();
    p.set(5, 42);
    p.put(0, 0L);
    assertEquals(42, p.at(5));
    assertEquals(0L, p.get(0));
    assertEquals(Positions.NONE, p.at(3), "a partition between two held ones has none");
    assertEquals(2, p.size());
    assertEquals(5, p.last());
    assertEquals(42L, p.put(5, 43L), "put answers the position before");
    assertEquals(2, p.size(), "moving a position adds none");
    assertNull(p.putIfAbsent(2, 7L));
    assertEquals(7L, p.putIfAbsent(2, 9L), "putIfAbsent keeps a held position");
    assertEquals(Map.of(0, 0L, 2, 7L, 5, 43L), new HashMap<>(p));
    assertEquals(p, Map.of(0, 0L, 2, 7L, 5, 43L), "equal to a map of the same positions");
  }

  @Test
  void itIteratesInPartitionOrderAndGrowsPastItsFirstSize() {
    Positions p = new Positions();
    Map<Integer, Long> expected = new TreeMap<>();
    for (int partition : new int[] {300, 7, 64, 0, 129}) {
      p.set(partition, partition * 10L);
      expected.put(partition, partition * 10L);
    }
    assertEquals(expected.toString(), p.toString());
    assertEquals(300, p.last());
    p.putAll(Map.of(1, 11L, 300, 3001L));
    assertEquals(3001, p.at(300));
    assertEquals(6, p.size());
  }

  @Test
  void removingAndClearingLeaveNoPosition() {
    Positions p = new Positions();
    p.putAll(Map.of(0, 1L, 1, 2L, 2, 3L));
    assertEquals(2L, p.remove(1));
    assertNull(p.remove(1));
    assertNull(p.remove("x"));
    assertFalse(p.containsKey(1));
    assertEquals(2, p.size());
    p.entrySet().removeIf(e -> e.getKey() == 2);
    assertEquals(Map.of(0, 1L), p);
    p.entrySet().iterator().next().setValue(5L);
    assertEquals(5, p.at(0));
    p.clear();
    assertTrue(p.isEmpty());
    assertEquals(-1, p.last());
  }

  @Test
  void badInputIsRefused() {
    Positions p = new Positions();
    assertThrows(IllegalArgumentException.class, () -> p.set(-1, 0));
    assertThrows(NullPointerException.class, () -> p.put(0, null));
    // NONE is what at() answers for "no position": set to it, a position would vanish from the map
    assertThrows(IllegalArgumentException.class, () -> p.set(0, Positions.NONE));
    assertThrows(IllegalArgumentException.class, () -> p.put(3, Positions.NONE));
    assertTrue(p.isEmpty());
    p.set(2, -1);
    assertEquals(Long.valueOf(-1), p.get(2));
  }
}
