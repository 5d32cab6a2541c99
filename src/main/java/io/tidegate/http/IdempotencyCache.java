package io.tidegate.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tidegate.kafka.Publisher.Outcome;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;

/**
 * Remembers, per topic and {@code Idempotency-Key}, the Kafka outcome of the first request, bounded in
 * entries and time (Caffeine evicts the oldest past the size limit and any entry past the window).
 * A repeat gets the same outcome and publishes nothing. An attempt in which nothing was written is
 * forgotten, so that the client's retry publishes.
 */
public final class IdempotencyCache {

  /** A first attempt: the hash of its body and the outcome of its records. */
  public record Entry(long bodyHash, Future<List<Outcome>> outcomes) {}

  private final Cache<String, Entry> cache;
  private final boolean enabled;

  public IdempotencyCache(long maxEntries, Duration window) {
    this.enabled = maxEntries > 0;
    this.cache = Caffeine.newBuilder().maximumSize(Math.max(1, maxEntries)).expireAfterWrite(window).build();
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
    return cache.estimatedSize();
  }
}
