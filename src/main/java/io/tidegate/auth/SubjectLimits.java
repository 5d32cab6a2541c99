package io.tidegate.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tidegate.config.TidegateConfig;
import io.tidegate.error.ApiError;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Limits per token subject, gateway-wide (every event loop asks the same instance): WebSockets and SSE streams
 * held open ({@code limits.maxConnectionsPerSubject}) and publishing ({@code limits.publishRecordsPerSecond},
 * {@code limits.publishBytesPerSecond}, token buckets with one second's burst). Anonymous identities have no
 * subject and are not limited here ({@code limits.maxConnections} still bounds them). Refusals are counted in
 * {@code tidegate.limits.refused{limit}}.
 *
 * <p>Both maps are bounded: open connections only for subjects that hold one (so at most as many entries as
 * open connections, themselves bounded by {@code limits.maxConnections}); publish allowances in a cache of at
 * most {@link #MAX_PUBLISHERS} subjects, each forgotten once its buckets are full again (when forgetting it
 * changes nothing), or the least recently used first when that many publish at once.
 */
public final class SubjectLimits {
  static final int MAX_PUBLISHERS = 100_000;
  private static final long MIN_KEEP_NANOS = Duration.ofSeconds(1).toNanos();

  private final int maxConnections;
  private final long recordsPerSecond;
  private final long bytesPerSecond;
  private final Ticker clock;
  private final ConcurrentHashMap<String, Integer> connections = new ConcurrentHashMap<>();
  private final Cache<String, PublishAllowance> allowances;
  private final Counter refusedConnections;
  private final Counter refusedRecords;
  private final Counter refusedBytes;

  public SubjectLimits(TidegateConfig.Limits cfg, MeterRegistry registry) {
    this(cfg, registry, Ticker.systemTicker());
  }

  SubjectLimits(TidegateConfig.Limits cfg, MeterRegistry registry, Ticker clock) {
    this.maxConnections = cfg.maxConnectionsPerSubject();
    this.recordsPerSecond = cfg.publishRecordsPerSecond();
    this.bytesPerSecond = cfg.publishBytesPerSecond();
    this.clock = clock;
    this.allowances = Caffeine.newBuilder().maximumSize(MAX_PUBLISHERS).ticker(clock).executor(Runnable::run)
        .expireAfter(Expiry.<String, PublishAllowance>writing((subject, allowance) ->
            Duration.ofNanos(Math.max(MIN_KEEP_NANOS, allowance.untilFull(clock.read())))))
        .build();
    this.refusedConnections = refused(registry, "maxConnectionsPerSubject");
    this.refusedRecords = refused(registry, PublishAllowance.RECORDS);
    this.refusedBytes = refused(registry, PublishAllowance.BYTES);
    Gauge.builder("tidegate.limits.subjects", connections, ConcurrentHashMap::size)
        .description("Subjects holding WebSockets or SSE streams, counted for limits.maxConnectionsPerSubject")
        .register(registry);
  }

  private static Counter refused(MeterRegistry registry, String limit) {
    return Counter.builder("tidegate.limits.refused").tag("limit", limit)
        .description("Connections and publishes refused (429, or close 1013) by a per-subject limit")
        .register(registry);
  }

  /** One WebSocket or SSE stream counted against its subject until {@link #release()} (idempotent). */
  public static final class Slot {
    private static final Slot NONE = new Slot(null, null);
    private final SubjectLimits owner;
    private final String subject;
    private final AtomicBoolean released = new AtomicBoolean();

    private Slot(SubjectLimits owner, String subject) {
      this.owner = owner;
      this.subject = subject;
    }

    public void release() {
      if (owner != null && released.compareAndSet(false, true)) {
        owner.connections.computeIfPresent(subject, (s, n) -> n <= 1 ? null : n - 1);
      }
    }
  }

  /**
   * Counts a WebSocket or SSE stream of {@code subject} (null: anonymous, not counted). Fails with 429 and
   * {@code Retry-After} when the subject already holds {@code limits.maxConnectionsPerSubject}.
   */
  public Slot open(String subject) {
    if (maxConnections <= 0 || subject == null) {
      return Slot.NONE;
    }
    boolean[] admitted = new boolean[1];
    connections.compute(subject, (s, n) -> {
      int held = n == null ? 0 : n;
      admitted[0] = held < maxConnections;
      return admitted[0] ? held + 1 : n;
    });
    if (!admitted[0]) {
      refusedConnections.increment();
      throw ApiError.tooManyConnections("this token's subject holds " + maxConnections + " WebSockets and SSE "
          + "streams on this gateway, its limit (limits.maxConnectionsPerSubject); close one, or retry later", 5);
    }
    return new Slot(this, subject);
  }

  /** The connections {@code subject} holds now (tests, metrics). */
  int held(String subject) {
    return connections.getOrDefault(subject, 0);
  }

  /**
   * Charges a publish of {@code records} records and {@code bytes} bytes (counted only when a byte rate is set) to
   * {@code subject} (null: anonymous, not limited), all or nothing. Fails with 429 and {@code Retry-After} (whole
   * seconds until it would pass).
   */
  public void chargePublish(String subject, long records, java.util.function.LongSupplier bytes) {
    if (subject == null || (recordsPerSecond <= 0 && bytesPerSecond <= 0)) {
      return; // the bytes are not even counted
    }
    chargePublish(subject, records, bytesPerSecond > 0 ? bytes.getAsLong() : 0);
  }

  void chargePublish(String subject, long records, long bytes) {
    if (subject == null || (recordsPerSecond <= 0 && bytesPerSecond <= 0)) {
      return;
    }
    PublishAllowance.Refusal[] refusal = new PublishAllowance.Refusal[1];
    // a compute is a write for the cache: the allowance's expiry is worked out again after the charge
    allowances.asMap().compute(subject, (s, a) -> {
      long now = clock.read();
      PublishAllowance allowance = a != null ? a : new PublishAllowance(recordsPerSecond, bytesPerSecond, now);
      refusal[0] = allowance.charge(records, bytes, now);
      return allowance;
    });
    PublishAllowance.Refusal r = refusal[0];
    if (r != null) {
      boolean recordsLimit = r.limit().equals(PublishAllowance.RECORDS);
      (recordsLimit ? refusedRecords : refusedBytes).increment();
      long seconds = Math.max(1, (r.waitNanos() + 999_999_999L) / 1_000_000_000L);
      throw ApiError.rateLimited("this token's subject may publish " + (recordsLimit
          ? recordsPerSecond + " records" : bytesPerSecond + " bytes") + " a second (limits." + r.limit()
          + "); nothing was published, retry in " + seconds + " s", (int) Math.min(Integer.MAX_VALUE, seconds));
    }
  }

  /** Subjects whose publish allowance is remembered (tests). */
  long publishers() {
    allowances.cleanUp();
    return allowances.estimatedSize();
  }
}
