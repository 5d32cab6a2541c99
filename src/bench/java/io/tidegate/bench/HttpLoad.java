package io.tidegate.bench;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A closed loop of HTTP publish requests against one server ({@code connections} in flight, each sent as the
 * previous one answered) that runs in slices: so that two gateways can be measured in turn, slice after slice,
 * and see the same background load on a busy machine. Records, latency, time and the server's CPU add up over
 * the measured slices only.
 */
final class HttpLoad implements AutoCloseable {
  private final HttpClient client;
  private final RequestOptions req;
  private final Buffer body;
  private final int recordsPerRequest;
  private final int connections;
  private final long pid;
  private final Stats stats = new Stats();
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicInteger inFlight = new AtomicInteger();
  private long measuredNanos;
  private long cpuTicks;

  HttpLoad(Vertx vertx, String url, Buffer body, int recordsPerRequest, int connections, String authorization, long pid) {
    this.client = vertx.httpClientBuilder()
        .with(new HttpClientOptions().setKeepAlive(true).setPipelining(false))
        .with(new PoolOptions().setHttp1MaxSize(connections))
        .build();
    this.req = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url)
        .putHeader("Content-Type", "application/json");
    if (authorization != null) {
      req.putHeader("Authorization", authorization);
    }
    this.body = body;
    this.recordsPerRequest = recordsPerRequest;
    this.connections = connections;
    this.pid = pid;
  }

  /** Unmeasured load (the JIT compilers need the CPU first); what it recorded is discarded. */
  void warmUp(double seconds) throws InterruptedException {
    slice(seconds);
    stats.reset();
    measuredNanos = 0;
    cpuTicks = 0;
  }

  /** Load for {@code seconds}, then no new requests; returns once the last one in flight has answered. */
  void slice(double seconds) throws InterruptedException {
    long ticks0 = PublishBenchmark.Gauge.cpuTicks(pid);
    long t0 = System.nanoTime();
    running.set(true);
    for (int i = 0; i < connections; i++) {
      inFlight.incrementAndGet();
      loop();
    }
    Thread.sleep((long) (seconds * 1000));
    running.set(false);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    measuredNanos += System.nanoTime() - t0;
    cpuTicks += PublishBenchmark.Gauge.cpuTicks(pid) - ticks0;
  }

  private void loop() {
    if (!running.get()) {
      inFlight.decrementAndGet();
      return;
    }
    long start = System.nanoTime();
    client.request(req)
        .compose(r -> r.send(body))
        .compose(resp -> resp.body().map(b -> resp.statusCode()))
        .onComplete(ar -> {
          if (ar.succeeded() && ar.result() == 200) {
            stats.ok(recordsPerRequest, System.nanoTime() - start);
          } else {
            stats.error();
          }
          loop();
        });
  }

  /** What the measured slices recorded. */
  Stats stats() {
    return stats.freeze();
  }

  double measuredSeconds() {
    return measuredNanos / 1e9;
  }

  /** The server's CPU over the measured slices, in cores (NaN without a pid). */
  double cores() {
    return pid < 0 || measuredNanos == 0 ? Double.NaN : cpuTicks / 100.0 / measuredSeconds();
  }

  @Override
  public void close() {
    try {
      client.close().await(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // the benchmark is over; an unclosed client goes with its JVM
    }
  }
}
