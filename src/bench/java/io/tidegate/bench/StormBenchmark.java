package io.tidegate.bench;

import io.tidegate.testing.PacedProducer;
import io.tidegate.testing.StormSockets;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Reconnect-storm benchmark, the client side: N WebSocket clients in this JVM subscribe to a fresh 6-partition
 * topic on the gateway (its own JVM) while a producer here writes at a modest rate; every connection is reset at
 * once (no close frame), and all reconnect within a few seconds, each subscribing from the offsets after its last
 * record (a subscribe answered 503 is retried with a growing random pause, as tidegate.js does). For each N it
 * reports: the baseline (the same N clients' first connect, from "latest", nothing to catch up), then from the
 * drop to each client's subscribe answered and to each client having every record written before the reconnects
 * began (p50/p99/max), the records caught up, the 503s, the most catch-up reads at once against the bound
 * (gauge tidegate_stream_catchups, sampled every 100 ms), readiness polled every 250 ms, the gateway's CPU and
 * its largest heap, and every client's records checked per partition: no gap, no duplicate.
 */
public final class StormBenchmark {
  private static final int PARTITIONS = 6;

  private final String bootstrap;
  private final String gateway;
  private final int port;
  private final long gatewayPid;
  private final int rate;
  private final long spreadMs;
  private final int bound;

  private StormBenchmark(Map<String, String> a) {
    this.bootstrap = a.get("bootstrap");
    this.port = Integer.parseInt(a.get("gateway-port"));
    this.gateway = "http://127.0.0.1:" + port;
    this.gatewayPid = Long.parseLong(a.getOrDefault("gateway-pid", "-1"));
    this.rate = Integer.parseInt(a.getOrDefault("rate", "60"));
    this.spreadMs = Long.parseLong(a.getOrDefault("spread-ms", "5000"));
    this.bound = Integer.parseInt(a.getOrDefault("max-catchups", "64"));
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (String arg : args) {
      String[] kv = arg.replaceFirst("^--", "").split("=", 2);
      a.put(kv[0], kv.length > 1 ? kv[1] : "true");
    }
    StormBenchmark b = new StormBenchmark(a);
    List<String> rows = new java.util.ArrayList<>();
    for (String n : a.getOrDefault("sockets", "5000").split(",")) {
      rows.add(b.step(Integer.parseInt(n.trim())));
    }
    System.out.println();
    System.out.println("Reconnect storm: " + PARTITIONS + " partitions, " + b.rate + " records/s throughout, reconnects spread over "
        + b.spreadMs + " ms, ws.maxCatchUps " + b.bound);
    System.out.println(String.format(Locale.ROOT, "%-7s %-34s %-22s %-22s %10s %7s %9s %9s %10s %9s %-9s %s", "sockets",
        "phase", "answered p50/p99/max s", "caught up p50/p99/max s", "caught up", "503s", "catchups", "not ready",
        "gw cpu", "heap max", "gaps+dups", "past from tail/kafka"));
    rows.forEach(System.out::println);
    System.exit(0);
  }

  private static final String PAST = "tidegate_stream_catchup_records_total";

  private String step(int n) throws Exception {
    String topic = "storm-" + UUID.randomUUID().toString().substring(0, 8);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get();
    }
    Vertx vertx = Vertx.vertx();
    Sampler sampler = new Sampler();
    StormSockets storm = new StormSockets(vertx, port, topic, PARTITIONS);
    try {
      // baseline: the same clients' first connect, from "latest" (no catch-up), over the same spread
      long t0 = System.nanoTime();
      storm.connect(n, spreadMs);
      until(storm, n + " first subscribes", 600, () -> storm.subscribed() == n);
      double firstSecs = (System.nanoTime() - t0) / 1e9;
      sampler.start();
      try (PacedProducer producer = new PacedProducer(bootstrap, topic, PARTITIONS, rate)) {
        until(storm, "records written", 60, () -> producer.total() >= 4L * PARTITIONS);
        long[] before = producer.ends();
        until(storm, "every client has the first records", 300, () -> storm.reached(before) == n);

        double tail0 = sampler.metric(PAST, "source=\"tail\"");
        double kafka0 = sampler.metric(PAST, "source=\"kafka\"");
        long cpu0 = PublishBenchmark.Gauge.cpuTicks(gatewayPid);
        long dropped = System.nanoTime();
        storm.dropAll();
        until(storm, "every client dropped", 60, () -> storm.disconnected() == n);
        long[] atDrop = producer.ends();
        until(storm, "records written while away", 60,
            () -> producer.total() >= Arrays.stream(atDrop).sum() + 2L * PARTITIONS);
        storm.reconnectAll(spreadMs, producer.ends());
        until(storm, "every client resumed and caught up", 900, () -> storm.caughtUp() == n);
        double stormSecs = (System.nanoTime() - dropped) / 1e9;
        double cores = (PublishBenchmark.Gauge.cpuTicks(gatewayPid) - cpu0) / 100.0 / stormSecs;
        producer.stop();
        long[] end = producer.ends();
        until(storm, "every client has every record", 300, () -> storm.reached(end) == n);
        sampler.stopSampling();
        String past = String.format(Locale.ROOT, "%.0f/%.0f", sampler.metric(PAST, "source=\"tail\"") - tail0,
            sampler.metric(PAST, "source=\"kafka\"") - kafka0);

        double[] answered = storm.clients().stream().mapToDouble(c -> c.resumedMs() / 1000).sorted().toArray();
        double[] caught = storm.clients().stream().mapToDouble(c -> c.caughtUpMs() / 1000).sorted().toArray();
        long records = storm.clients().stream().mapToLong(StormSockets.Client::recordsAfterDrop).sum();
        String base = String.format(Locale.ROOT, "%-7d %-34s %-22s %-22s %10s %7s %9s %9s %10s %9s %-9s %s", n,
            "first connect (latest), baseline", String.format(Locale.ROOT, "all in %.1f", firstSecs), "-", "-", "-", "-",
            "-", "-", "-", "-", "-");
        String row = String.format(Locale.ROOT, "%-7d %-34s %-22s %-22s %10d %7d %9s %9s %10s %9s %-9d %s", n,
            "drop all, reconnect from offsets", triple(answered), triple(caught), records, storm.retries(),
            sampler.maxCatchUps + "/" + bound, sampler.notReady + "/" + sampler.polls,
            String.format(Locale.ROOT, "%.2f cores", cores), String.format(Locale.ROOT, "%.0f MB", sampler.maxHeapMb),
            storm.problemCount(), past);
        if (storm.problemCount() > 0) {
          System.out.println("problems: " + storm.problems());
        }
        System.out.println(base);
        System.out.println(row);
        return base + "\n" + row;
      }
    } finally {
      sampler.stopSampling();
      storm.close();
      vertx.close().toCompletionStage().toCompletableFuture().get();
      // the next step starts on a gateway that has let go of these sockets
      long deadline = System.nanoTime() + 120_000_000_000L;
      while (sampler.metric("tidegate_ws_sessions") > 0 && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
    }
  }

  private static String triple(double[] sorted) {
    return String.format(Locale.ROOT, "%.1f / %.1f / %.1f", pct(sorted, 50), pct(sorted, 99), sorted[sorted.length - 1]);
  }

  private static double pct(double[] sorted, double p) {
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
  }

  /** Waits, saying every 10 s where the clients stand; a problem (gap, duplicate, reset) is counted, not fatal. */
  private static void until(StormSockets storm, String what, int seconds, BooleanSupplier done) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + seconds * 1_000_000_000L;
    long nextReport = start + 10_000_000_000L;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        System.out.println("FAILED waiting for " + what + " (" + storm.describe() + ")");
        System.exit(1);
      }
      if (System.nanoTime() > nextReport) {
        nextReport += 10_000_000_000L;
        System.out.printf(Locale.ROOT, "  %s, %.0f s: %s%n", what, (System.nanoTime() - start) / 1e9, storm.describe());
      }
      Thread.sleep(50);
    }
  }

  /** Samples the gateway's catch-up gauge and heap every 100 ms and its readiness every 250 ms. */
  private final class Sampler extends Thread {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private volatile boolean running = true;
    volatile int maxCatchUps;
    volatile double maxHeapMb;
    volatile int polls;
    volatile int notReady;

    Sampler() {
      super("storm-sampler");
      setDaemon(true);
    }

    @Override
    public void run() {
      long nextReady = 0;
      while (running) {
        String body = get("/metrics");
        maxCatchUps = (int) Math.max(maxCatchUps, sum(body, "tidegate_stream_catchups", ""));
        maxHeapMb = Math.max(maxHeapMb, sum(body, "jvm_memory_used_bytes{", "area=\"heap\"") / 1024 / 1024);
        if (System.nanoTime() >= nextReady) {
          nextReady = System.nanoTime() + 250_000_000L;
          polls++;
          if (status("/health/ready") != 200) {
            notReady++;
          }
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void stopSampling() throws InterruptedException {
      running = false;
      join(5000);
    }

    double metric(String name) {
      return sum(get("/metrics"), name, "");
    }

    /** The sum of a metric's series whose labels contain {@code labels}. */
    double metric(String name, String labels) {
      return sum(get("/metrics"), name + "{", labels);
    }

    private String get(String path) {
      try {
        return http.send(HttpRequest.newBuilder(URI.create(gateway + path)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString()).body();
      } catch (Exception e) {
        return "";
      }
    }

    private int status(String path) {
      try {
        return http.send(HttpRequest.newBuilder(URI.create(gateway + path)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (Exception e) {
        return -1;
      }
    }

    private static double sum(String body, String prefix, String contains) {
      double sum = 0;
      for (String line : body.split("\n")) {
        if (line.startsWith(prefix) && line.contains(contains) && (prefix.endsWith("{")
            || line.charAt(prefix.length()) == ' ' || line.charAt(prefix.length()) == '{')) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return sum;
    }
  }
}
