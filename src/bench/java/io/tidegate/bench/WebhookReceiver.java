package io.tidegate.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The receiver of the webhook benchmark: a Vert.x HTTP server that answers 204 at once and, per path (one path per
 * phase and system), counts what arrives: distinct records and duplicates (by {@code webhook-id}, which both the
 * gateway and the baseline send as {@code <topic>-<partition>-<offset>}), records of a key arriving out of offset
 * order, and the latency from the producer's {@code send} (the {@code sentNanos} the producer wrote first in each
 * value; producer and receiver share this JVM's clock). One request in 64 has its signature checked. While gated,
 * answers are held (at most {@value #MAX_HELD}) and sent on release, so that a backlog can be written first.
 */
final class WebhookReceiver {
  private static final int MAX_HELD = 10_000;
  private static final int MAX_PATHS = 64;
  private static final byte[] SENT = "\"sentNanos\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] KEY = "\"key\":\"".getBytes(StandardCharsets.US_ASCII);

  private final Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(2));
  private final Map<String, Tally> tallies = new ConcurrentHashMap<>();
  private final List<Held> held = new ArrayList<>();
  private final byte[] key;
  private volatile boolean gated;

  private record Held(Context context, HttpServerResponse response) {}

  WebhookReceiver(byte[] key) {
    this.key = key;
  }

  /** What one path received. Recording is synchronized (two event loops); read once a phase is over. */
  static final class Tally {
    private final Map<Integer, BitSet> seen = new HashMap<>();
    private final Map<String, Long> lastByKey = new HashMap<>();
    private final Recorder latency = new Recorder(3);
    private final AtomicLong received = new AtomicLong();
    private long distinct;
    private long duplicates;
    private long outOfOrder;
    long badSignatures;
    long checkedSignatures;
    private volatile long lastNanos;

    synchronized void record(int partition, long offset, String key, long sentNanos, long now) {
      received.incrementAndGet();
      lastNanos = now;
      BitSet bits = seen.computeIfAbsent(partition, p -> new BitSet());
      if (bits.get((int) offset)) {
        duplicates++;
        return;
      }
      bits.set((int) offset);
      distinct++;
      if (key != null) {
        Long before = lastByKey.put(partition + "/" + key, offset);
        if (before != null && before > offset) {
          outOfOrder++;
        }
      }
      if (sentNanos > 0) {
        latency.recordValue(Math.max(1, (now - sentNanos) / 1000));
      }
    }

    synchronized long distinct() {
      return distinct;
    }

    synchronized long duplicates() {
      return duplicates;
    }

    synchronized long outOfOrder() {
      return outOfOrder;
    }

    long received() {
      return received.get();
    }

    long lastNanos() {
      return lastNanos;
    }

    /** Discards the latencies recorded so far (the probe before a live phase). */
    void resetLatency() {
      latency.getIntervalHistogram();
    }

    /** Latencies (µs) since the last reset. */
    Histogram latency() {
      return latency.getIntervalHistogram();
    }
  }

  Future<Void> start(int port) {
    return vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.createHttpServer().requestHandler(WebhookReceiver.this::handle).listen(port);
      }
    }, new DeploymentOptions().setInstances(2)).mapEmpty();
  }

  Tally tally(String path) {
    return tallies.computeIfAbsent(path, p -> new Tally());
  }

  void gate(boolean on) {
    List<Held> release;
    synchronized (held) {
      gated = on;
      release = on ? List.of() : new ArrayList<>(held);
      if (!on) {
        held.clear();
      }
    }
    release.forEach(h -> h.context().runOnContext(v -> h.response().setStatusCode(204).end()));
  }

  private void handle(HttpServerRequest req) {
    Tally tally = tallies.size() < MAX_PATHS ? tally(req.path()) : tallies.get(req.path());
    if (tally == null) {
      req.response().setStatusCode(404).end();
      return;
    }
    req.body().onSuccess(body -> {
      long now = System.nanoTime();
      String id = req.getHeader("webhook-id");
      int dash = id == null ? -1 : id.lastIndexOf('-');
      int dash2 = dash <= 0 ? -1 : id.lastIndexOf('-', dash - 1);
      if (dash2 < 0) {
        req.response().setStatusCode(400).end("no webhook-id");
        return;
      }
      byte[] bytes = body.getBytes();
      tally.record(Integer.parseInt(id.substring(dash2 + 1, dash)), Long.parseLong(id.substring(dash + 1)),
          keyOf(bytes), sentNanos(bytes), now);
      if ((tally.received() & 63) == 0) {
        checkSignature(tally, req, id, bytes);
      }
      synchronized (held) {
        if (gated && held.size() < MAX_HELD) {
          held.add(new Held(vertx.getOrCreateContext(), req.response()));
          return;
        }
      }
      req.response().setStatusCode(204).end();
    });
  }

  private void checkSignature(Tally tally, HttpServerRequest req, String id, byte[] body) {
    String sig = req.getHeader("webhook-signature");
    String ts = req.getHeader("webhook-timestamp");
    boolean ok = false;
    if (sig != null && ts != null && sig.startsWith("v1,")) {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
        ok = Base64.getEncoder().encodeToString(mac.doFinal(body)).equals(sig.substring(3));
      } catch (java.security.GeneralSecurityException e) {
        ok = false;
      }
    }
    synchronized (tally) {
      tally.checkedSignatures++;
      if (!ok) {
        tally.badSignatures++;
      }
    }
  }

  private static long sentNanos(byte[] b) {
    int i = indexOf(b, SENT, 0);
    if (i < 0) {
      return 0;
    }
    long v = 0;
    for (int j = i + SENT.length; j < b.length && b[j] >= '0' && b[j] <= '9'; j++) {
      v = v * 10 + (b[j] - '0');
    }
    return v;
  }

  private static String keyOf(byte[] b) {
    int i = indexOf(b, KEY, 0);
    if (i < 0) {
      return null;
    }
    int start = i + KEY.length;
    int end = start;
    while (end < b.length && b[end] != '"') {
      end++;
    }
    return new String(b, start, end - start, StandardCharsets.UTF_8);
  }

  private static int indexOf(byte[] b, byte[] what, int from) {
    outer:
    for (int i = from; i <= b.length - what.length; i++) {
      for (int j = 0; j < what.length; j++) {
        if (b[i + j] != what[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }
}
