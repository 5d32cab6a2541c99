package io.tidegate.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * HTTP publish through the gateway beside Kafka's own producer, on the same broker, in one run.
 * Runs in its own JVM (the load generator); the gateway and the broker are other processes.
 *
 * <p>Shapes: one record per request at 64 connections, and 100-record batches at 16 connections;
 * 256-byte JSON values, acks=all, for {@code --seconds} each after a short warm-up.
 */
public final class PublishBenchmark {
  private static final int VALUE_BYTES = 256;
  /** The plain producer's warm-up. */
  private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmup", 10);
  /** The gateway's warm-up: measured on this machine, C2 keeps compiling for ~30 s into the load. */
  private static final int GATEWAY_WARMUP_SECONDS = Integer.getInteger("bench.gatewayWarmup", 30);
  /** With auth compared: the gateways take turns in slices of about this long. */
  static final int SLICE_SECONDS = 5;

  private PublishBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = args(args);
    String gateway = a.getOrDefault("gateway", "http://127.0.0.1:8080");
    String bootstrap = a.getOrDefault("bootstrap", "127.0.0.1:9092");
    int seconds = Integer.parseInt(a.getOrDefault("seconds", "30"));
    long gatewayPid = Long.parseLong(a.getOrDefault("gateway-pid", "-1"));
    Map<String, String> producerSettings = parseSettings(a.getOrDefault("producer", "acks=all,enable.idempotence=true,linger.ms=5,batch.size=131072,compression.type=none"));
    int partitions = 6;

    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      List<NewTopic> topics = new ArrayList<>();
      for (String t : new String[] {"bench-plain", "bench-single", "bench-batch"}) {
        topics.add(new NewTopic(t, partitions, (short) 1));
      }
      admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
    }
    byte[] value = value();
    System.out.printf(Locale.ROOT, "Publish benchmark: %d s per phase, %d-byte JSON values, %d partitions, producer %s%n",
        seconds, value.length, partitions, producerSettings);

    List<String> lines = new ArrayList<>();
    Stats plain = plainProducer(bootstrap, producerSettings, value, seconds);
    double base = plain.records() / (double) seconds;
    lines.add(plain.line("kafka producer (baseline)", seconds, 0, ""));

    Vertx vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setPreferNativeTransport(true));
    try {
      String single = "{\"value\":" + new String(value, StandardCharsets.UTF_8) + "}";
      StringBuilder batch = new StringBuilder("{\"records\":[");
      for (int i = 0; i < 100; i++) {
        batch.append(i == 0 ? "" : ",").append(single);
      }
      batch.append("]}");
      String bare = a.get("bare");
      if (bare != null) {
        Stats s0 = http(vertx, bare + "/topics/bench-single/records", Buffer.buffer(single), 1, 64, seconds);
        lines.add(s0.line("bare Vert.x HTTP, no Kafka (ceiling)", seconds, base, "-"));
      }
      // With --auth-gateway each gateway phase runs against auth off and auth on, taking turns (see phase).
      AuthCost auth = new AuthCost(vertx, a, gateway, gatewayPid);
      phase(vertx, auth, "gateway, 1 record/request, 64 conns", "bench-single", single, 1, 64, seconds, base, lines);
      phase(vertx, auth, "gateway, 100/request, 16 conns", "bench-batch", batch.toString(), 100, 16, seconds, base, lines);
      System.out.println();
      System.out.println(Stats.header());
      lines.forEach(System.out::println);
      System.out.println("(latency: plain producer per record send→ack; gateway per HTTP request send→response)");
      auth.print();
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** A plain KafkaProducer loop with the same settings as the gateway's producer. */
  static Stats plainProducer(String bootstrap, Map<String, String> settings, byte[] value, int seconds) throws Exception {
    Properties p = new Properties();
    p.putAll(settings);
    p.put("bootstrap.servers", bootstrap);
    Stats stats = new Stats();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      runFor(WARMUP_SECONDS, () -> send(producer, value, stats));
      producer.flush();
      stats.reset();
      long t0 = System.nanoTime();
      runFor(seconds, () -> send(producer, value, stats));
      producer.flush();
      System.out.printf(Locale.ROOT, "plain producer: %d records in %.1f s%n", stats.records(), (System.nanoTime() - t0) / 1e9);
    }
    return stats.freeze();
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, byte[] value, Stats stats) {
    long start = System.nanoTime();
    producer.send(new ProducerRecord<>("bench-plain", null, value), (md, e) -> {
      if (e == null) {
        stats.ok(1, System.nanoTime() - start);
      } else {
        stats.error();
      }
    });
  }

  private static void runFor(int seconds, Runnable r) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      for (int i = 0; i < 256; i++) {
        r.run();
      }
    }
  }

  /** A closed loop: {@code connections} requests in flight at all times, each sent as the previous answered. */
  static Stats http(Vertx vertx, String url, Buffer body, int recordsPerRequest, int connections, int seconds)
      throws Exception {
    try (HttpLoad load = new HttpLoad(vertx, url, body, recordsPerRequest, connections, null, -1)) {
      load.warmUp(GATEWAY_WARMUP_SECONDS);
      load.slice(seconds);
      return load.stats();
    }
  }

  /**
   * One phase against each target: each gateway warmed up as long as the other, then measured in slices of about
   * {@value #SLICE_SECONDS} s taking turns (A B C, C B A, ...), so that all see the same background load.
   */
  private static void phase(Vertx vertx, AuthCost auth, String name, String topic, String body, int n, int connections,
      int seconds, double base, List<String> lines) throws Exception {
    List<AuthCost.Target> targets = auth.targets();
    List<HttpLoad> loads = new ArrayList<>();
    try {
      for (AuthCost.Target t : targets) {
        loads.add(new HttpLoad(vertx, t.url() + "/topics/" + topic + "/records", Buffer.buffer(body), n, connections,
            t.bearer(), t.pid()));
      }
      // Each gateway process gets the same warm-up: the jwt gateway serves two targets (two tokens), so the
      // auth-off gateway warms up twice as long as each of those, so that neither is measured while still compiling.
      Map<String, Integer> perGateway = new HashMap<>();
      targets.forEach(t -> perGateway.merge(t.url(), 1, Integer::sum));
      int most = perGateway.values().stream().max(Integer::compare).orElse(1);
      for (int i = 0; i < loads.size(); i++) {
        loads.get(i).warmUp(GATEWAY_WARMUP_SECONDS * (double) most / perGateway.get(targets.get(i).url()));
      }
      int slices = targets.size() > 1 ? Math.max(1, seconds / SLICE_SECONDS) : 1;
      for (int s = 0; s < slices; s++) {
        for (int i = 0; i < loads.size(); i++) {
          loads.get(s % 2 == 0 ? i : loads.size() - 1 - i).slice(seconds / (double) slices);
        }
      }
      for (int i = 0; i < targets.size(); i++) {
        AuthCost.Target t = targets.get(i);
        HttpLoad l = loads.get(i);
        Stats st = l.stats();
        double secs = l.measuredSeconds();
        Gauge.Usage u = new Gauge.Usage(l.cores(), Gauge.heapMb(t.url()));
        lines.add(st.line(targets.size() > 1 ? name + " [" + t.key() + "]" : name, secs, base, u.toString()));
        auth.add(new AuthCost.Result(name, t, st.records() / secs, st.p(50), st.p(99), u.cores(),
            Gauge.heapAfterGcMb(t.pid(), t.url())));
        if (t.token() != null && st.errors() > 0) {
          System.out.println("   (" + st.errors() + " requests failed with auth on: the comparison is not valid)");
        }
      }
    } finally {
      loads.forEach(HttpLoad::close);
    }
  }

  private static byte[] value() {
    String head = "{\"id\":12345,\"type\":\"order.created\",\"payload\":\"";
    String tail = "\"}";
    String pad = "x".repeat(VALUE_BYTES - head.length() - tail.length());
    byte[] v = (head + pad + tail).getBytes(StandardCharsets.UTF_8);
    if (v.length != VALUE_BYTES) {
      throw new IllegalStateException("value is " + v.length + " bytes");
    }
    return v;
  }

  private static Map<String, String> parseSettings(String s) {
    Map<String, String> m = new HashMap<>();
    for (String kv : s.split(",")) {
      String[] p = kv.split("=", 2);
      m.put(p[0].trim(), p[1].trim());
    }
    return m;
  }

  static Map<String, String> args(String[] args) {
    Map<String, String> m = new HashMap<>();
    for (String arg : args) {
      if (arg.startsWith("--") && arg.contains("=")) {
        m.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
      }
    }
    return m;
  }

  /** The gateway's CPU (from /proc) and heap (from its /metrics) over one phase. */
  static final class Gauge {
    private final long pid;
    private final String gateway;
    private final long cpuTicks0;
    private final long t0 = System.nanoTime();

    private Gauge(long pid, String gateway) {
      this.pid = pid;
      this.gateway = gateway;
      this.cpuTicks0 = cpuTicks(pid);
    }

    static Gauge start(long pid, String gateway) {
      return new Gauge(pid, gateway);
    }

    Usage stop() {
      double secs = (System.nanoTime() - t0) / 1e9;
      long ticks = cpuTicks(pid) - cpuTicks0;
      double cores = pid < 0 ? Double.NaN : ticks / 100.0 / secs;
      return new Usage(cores, heapMb());
    }

    /** The gateway's heap (MB) after two full GCs (jcmd GC.run): what it holds, not where the sawtooth stands. */
    static double heapAfterGcMb(long pid, String gateway) {
      if (pid > 0) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
          for (int i = 0; i < 2; i++) {
            new ProcessBuilder(jcmd.toString(), String.valueOf(pid), "GC.run").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
          }
        } catch (Exception e) {
          return Double.NaN;
        }
      }
      return new Gauge(-1, gateway).heapMb();
    }

    /** CPU (cores) over the phase and heap (MB) at its end. */
    record Usage(double cores, double heapMb) {
      @Override
      public String toString() {
        return String.format(Locale.ROOT, "%.2f cores / %s MB heap", cores,
            Double.isNaN(heapMb) ? "?" : String.format(Locale.ROOT, "%.0f", heapMb));
      }
    }

    static long cpuTicks(long pid) {
      if (pid < 0) {
        return 0;
      }
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
      } catch (Exception e) {
        return 0;
      }
    }

    private double heapMb() {
      return heapMb(gateway);
    }

    /** The gateway's heap now (MB), from its /metrics; NaN if it cannot be read. */
    static double heapMb(String gateway) {
      try {
        var http = java.net.http.HttpClient.newHttpClient();
        String body = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(gateway + "/metrics")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        for (String line : body.split("\n")) {
          if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
            sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
          }
        }
        return sum / 1024 / 1024;
      } catch (Exception e) {
        return Double.NaN;
      }
    }
  }
}
