package io.tidegate.publish;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tidegate.publish.Publisher.Outcome;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;

/**
 * Remembers, per topic and {@code Idempotency-Key}, the Kafka outcome of the first request, bounded by the
 * number of records remembered (an entry weighs as many records as it published, so memory stays bounded
 * however large the batches) and by time; Caffeine evicts past either limit.
 * A repeat gets the same outcome and publishes nothing. An attempt in which nothing was written is
 * forgotten, so that the client's retry publishes.
 */
public final class IdempotencyCache {

  /** A first attempt: the hash of its body and the outcome of its records. */
  public record Entry(long bodyHash, int records, Future<List<Outcome>> outcomes) {}

  private final Cache<String, Entry> cache;
  private final boolean enabled;

  public IdempotencyCache(long maxRecords, Duration window) {
    this.enabled = maxRecords > 0;
    this.cache = Caffeine.newBuilder()
        .maximumWeight(Math.max(1, maxRecords))
        .<String, Entry>weigher((key, entry) -> Math.max(1, entry.records()))
        .expireAfterWrite(window)
        .build();
  }

  public boolean enabled() {
    return enabled;
  }

  public static String key(String topic, String idempotencyKey) {
    return topic + '\u0000' + idempotencyKey;
  }

  /** Registers {@code entry} unless one is there already; returns the one that was there, or null. */
  public Entry putIfAbsent(String key, Entry entry) {
    return cache.asMap().putIfAbsent(key, entry);
  }

  /** Forgets the entry, but only if it is still this one. */
  public void forget(String key, Entry entry) {
    cache.asMap().remove(key, entry);
  }

  public long size() {
    cache.cleanUp();
    return cache.estimatedSize();
  }
}
