package io.tidegate.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdempotencyCacheTest {

  private static IdempotencyCache.Entry entry(int records) {
    return new IdempotencyCache.Entry(records, records, Future.succeededFuture(List.of()));
  }

  @Test
  void aRepeatFindsTheFirstEntry() {
    IdempotencyCache cache = new IdempotencyCache(1000, Duration.ofMinutes(5));
    IdempotencyCache.Entry first = entry(1);
    assertNull(cache.putIfAbsent(IdempotencyCache.key("t", "k"), first));
    assertSame(first, cache.putIfAbsent(IdempotencyCache.key("t", "k"), entry(1)));
    assertNull(cache.putIfAbsent(IdempotencyCache.key("other", "k"), entry(1)), "keys are per topic");
  }

  @Test
  void memoryIsBoundedByRecordsNotByKeys() {
    IdempotencyCache cache = new IdempotencyCache(100, Duration.ofMinutes(5));
    for (int i = 0; i < 10; i++) {
      cache.putIfAbsent(IdempotencyCache.key("t", "batch-" + i), entry(60));
    }
    assertTrue(cache.size() <= 1, "two 60-record batches do not fit in 100 records; kept " + cache.size());
  }

  @Test
  void forgettingRemovesOnlyTheSameEntry() {
    IdempotencyCache cache = new IdempotencyCache(1000, Duration.ofMinutes(5));
    IdempotencyCache.Entry a = entry(1);
    cache.putIfAbsent("k", a);
    cache.forget("k", entry(1));
    assertEquals(1, cache.size());
    cache.forget("k", a);
    assertEquals(0, cache.size());
  }
}
