package io.tidegate.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Webhook delivery through Tidegate beside a plain KafkaConsumer + HTTP client loop ({@link WebhookBaseline}, its
 * own JVM) with the same settings, to the same receiver ({@link WebhookReceiver}, in this JVM with the producer),
 * in the same run. Modes: a backlog drain (records already in the topic: the highest deliveries/s) and a live rate
 * (records produced at a fixed rate while delivering: latency from the producer's send to receipt). Per system:
 * deliveries/s, latency p50/p99/max, the process's CPU-seconds per million deliveries (from /proc/PID/stat over
 * the measured window), its heap after a full GC, and lost, duplicated and out-of-order records and bad
 * signatures. Run by src/bench/webhooks.sh.
 */
public final class WebhookBenchmark {
  private static final int PARTITIONS = 6;
  private static final int KEYS = 1_000;
  private static final int VALUE_BYTES = 200;

  private final Map<String, String> opts = new HashMap<>();
  private final String gateway;
  private final long gatewayPid;
  private final String receiverUrl;
  private final int maxInFlight;
  private final String secret;
  private final WebhookReceiver receiver;
  private final Admin admin;
  private final KafkaProducer<byte[], byte[]> producer;
  private final AtomicLong produceErrors = new AtomicLong();
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<Row> rows = new ArrayList<>();
  private Process baseline;
  private Writer baselineIn;
  private final BlockingQueue<String> baselineOut = new LinkedBlockingQueue<>();
  private long seq;

  /** One system in one phase. */
  record Row(String phase, String system, long records, double rate, double p50, double p99, double max,
      double cpuPerMillion, double cores, double heapMb, long lost, long dup, long outOfOrder, long badSig,
      long checkedSig, double machineBusy) {}

  private WebhookBenchmark(String[] args) throws Exception {
    for (String a : args) {
      int eq = a.indexOf('=');
      opts.put(a.substring(2, eq), a.substring(eq + 1));
    }
    gateway = opts.get("gateway");
    gatewayPid = Long.parseLong(opts.getOrDefault("gateway-pid", "-1"));
    receiverUrl = "http://127.0.0.1:" + opts.get("receiver-port");
    maxInFlight = Integer.parseInt(opts.getOrDefault("max-in-flight", "16"));
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    secret = "whsec_" + Base64.getEncoder().encodeToString(key);
    receiver = new WebhookReceiver(key);
    receiver.start(Integer.parseInt(opts.get("receiver-port"))).await(30, TimeUnit.SECONDS);
    String bootstrap = opts.get("bootstrap");
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()));
    startBaseline(bootstrap, key);
  }

  public static void main(String[] args) throws Exception {
    WebhookBenchmark b = new WebhookBenchmark(args);
    int code = 1;
    try {
      code = b.run();
    } finally {
      b.close();
    }
    System.exit(code);
  }

  private int run() throws Exception {
    int seconds = Integer.parseInt(opts.getOrDefault("seconds", "20"));
    int records = Integer.parseInt(opts.getOrDefault("records", "100000"));
    String rates = opts.getOrDefault("rate", "500,2000");
    System.out.printf(Locale.ROOT, "webhook benchmark: backlog %,d records, live %s records/s for %d s, %d partitions, "
        + "%,d keys, %d-byte values, maxInFlight %d, signed (HMAC-SHA256)%n", records, rates, seconds, PARTITIONS, KEYS,
        VALUE_BYTES, maxInFlight);
    backlog("warmup", Math.max(1_000, records / 5), false);
    backlog("backlog", records, true);
    for (String rate : rates.split(",")) {
      live("live-" + rate.trim(), Integer.parseInt(rate.trim()), seconds, true);
    }
    print();
    long lost = rows.stream().mapToLong(Row::lost).sum();
    long disorder = rows.stream().mapToLong(Row::outOfOrder).sum();
    long bad = rows.stream().mapToLong(Row::badSig).sum();
    if (lost > 0 || disorder > 0 || bad > 0 || produceErrors.get() > 0) {
      System.out.printf(Locale.ROOT, "FAILED: %d lost, %d out of order, %d bad signatures, %d produce errors%n", lost,
          disorder, bad, produceErrors.get());
      return 1;
    }
    System.out.println("every record delivered at least once, in order per key, signatures valid");
    return 0;
  }

  // ---- the two modes ----

  /** Records written first while the receiver holds its answers, then drained as fast as each system goes. */
  private void backlog(String phase, int n, boolean keep) throws Exception {
    String topic = "wh-" + phase;
    createTopic(topic);
    // Tidegate: the webhook starts at the topic's end, so it is defined first and the records written after
    String tgPath = "/" + phase + "/tidegate";
    receiver.gate(true);
    createWebhook(phase, topic, tgPath);
    produceBacklog(topic, n);
    Row tg = drain(phase, "Tidegate", tgPath, n, gatewayPid, () -> deleteWebhook(phase));
    // the baseline: the same records, its own group, from the beginning
    String basePath = "/" + phase + "/baseline";
    receiver.gate(true);
    baselineCommand("run " + topic + " bench-baseline-" + phase + " " + receiverUrl + basePath);
    Row base = drain(phase, "baseline", basePath, n, baseline.pid(), this::stopBaseline);
    if (keep) {
      rows.add(tg);
      rows.add(base);
    }
  }

  private Row drain(String phase, String system, String path, long n, long pid, Step stop) throws Exception {
    WebhookReceiver.Tally t = receiver.tally(path);
    await(system + " delivering (" + phase + ")", 120, () -> t.received() > 0);
    Usage u = Usage.start(pid);
    long t0 = System.nanoTime();
    receiver.gate(false);
    await(system + " draining " + n + " records (" + phase + ")", 600, () -> t.distinct() >= n);
    Usage.Result r = u.stop(t.lastNanos());
    double secs = (t.lastNanos() - t0) / 1e9;
    double heap = heapAfterGcMb(pid);
    stop.run();
    return row(phase + " (" + n + " records)", system, t, n, n / secs, r, heap);
  }

  /** Records produced at {@code rate} per second for {@code seconds} while each system delivers them. */
  private void live(String phase, int rate, int seconds, boolean keep) throws Exception {
    for (String system : List.of("Tidegate", "baseline")) {
      String topic = "wh-" + phase + "-" + system.toLowerCase(Locale.ROOT);
      String path = "/" + phase + "/" + system.toLowerCase(Locale.ROOT);
      createTopic(topic);
      long pid;
      Step stop;
      if (system.equals("Tidegate")) {
        createWebhook(phase, topic, path);
        pid = gatewayPid;
        stop = () -> deleteWebhook(phase);
      } else {
        baselineCommand("run " + topic + " bench-baseline-" + phase + " " + receiverUrl + path);
        pid = baseline.pid();
        stop = this::stopBaseline;
      }
      WebhookReceiver.Tally t = receiver.tally(path);
      long produced = 0;
      // a record every 200 ms until the first arrives: the consumer has joined its group and delivers
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (t.received() == 0 && System.nanoTime() < deadline) {
        send(topic);
        produced++;
        producer.flush();
        await(system + " first record", 0.2, () -> t.received() > 0, false);
      }
      long probes = produced;
      await(system + " probes delivered", 120, () -> t.distinct() >= probes);
      long before = t.distinct();
      t.resetLatency();
      Usage u = Usage.start(pid);
      long t0 = System.nanoTime();
      long sent = 0;
      long end = t0 + TimeUnit.SECONDS.toNanos(seconds);
      for (long now; (now = System.nanoTime()) < end; ) {
        long due = (now - t0) * rate / 1_000_000_000L;
        for (; sent < due; sent++) {
          send(topic);
        }
        LockSupport.parkNanos(1_000_000);
      }
      producer.flush();
      long expected = produced + sent;
      boolean all = await(system + " delivering the live records", 600, () -> t.distinct() >= expected, false);
      Usage.Result r = u.stop(t.lastNanos());
      double secs = (t.lastNanos() - t0) / 1e9;
      double heap = heapAfterGcMb(pid);
      stop.run();
      long delivered = t.distinct() - before;
      Row row = row(String.format(Locale.ROOT, "live (%,d/s for %d s)", rate, seconds), system, t, expected,
          delivered / secs, r, heap);
      if (!all) {
        System.out.println(system + ": not every live record arrived within 600 s");
      }
      if (keep) {
        rows.add(row);
      }
    }
  }

  private Row row(String phase, String system, WebhookReceiver.Tally t, long expected, double rate, Usage.Result r,
      double heapMb) {
    Histogram h = t.latency();
    long delivered = Math.max(1, t.distinct());
    return new Row(phase, system, expected, rate, h.getValueAtPercentile(50) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0, r.cpuSeconds() / delivered * 1e6, r.cores(),
        heapMb, Math.max(0, expected - t.distinct()), t.duplicates(), t.outOfOrder(), t.badSignatures,
        t.checkedSignatures, r.machineBusy());
  }

  // ---- output ----

  private void print() {
    System.out.println();
    System.out.printf(Locale.ROOT, "%-28s %-9s %12s %8s %8s %8s %10s %6s %8s %5s %5s %6s %9s %5s%n", "phase", "system",
        "delivered/s", "p50 ms", "p99 ms", "max ms", "cpu s/1M", "cores", "heap MB", "lost", "dup", "order", "sig bad",
        "busy");
    for (Row r : rows) {
      System.out.printf(Locale.ROOT, "%-28s %-9s %,12.0f %8.1f %8.1f %8.1f %10.1f %6.2f %8.0f %5d %5d %6d %4d/%-4d %4.0f%%%n",
          r.phase(), r.system(), r.rate(), r.p50(), r.p99(), r.max(), r.cpuPerMillion(), r.cores(), r.heapMb(),
          r.lost(), r.dup(), r.outOfOrder(), r.badSig(), r.checkedSig(), 100 * r.machineBusy());
    }
    System.out.println();
    System.out.println("Tidegate / baseline, same run:");
    for (int i = 0; i + 1 < rows.size(); i += 2) {
      Row tg = rows.get(i);
      Row base = rows.get(i + 1);
      System.out.printf(Locale.ROOT, "  %-28s deliveries/s %5.0f%%   p99 %5.0f%%   CPU per delivery %5.0f%%   heap %5.0f%%%n",
          tg.phase(), 100 * tg.rate() / base.rate(), 100 * tg.p99() / base.p99(),
          100 * tg.cpuPerMillion() / base.cpuPerMillion(), 100 * tg.heapMb() / base.heapMb());
    }
    System.out.println("(backlog latencies include the time records waited in the topic)");
  }

  // ---- Kafka, the gateway and the baseline process ----

  private void createTopic(String topic) throws Exception {
    admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(60, TimeUnit.SECONDS);
  }

  private void send(String topic) {
    long i = seq++;
    StringBuilder v = new StringBuilder(VALUE_BYTES).append("{\"sentNanos\":").append(System.nanoTime())
        .append(",\"seq\":").append(i).append(",\"pad\":\"");
    while (v.length() < VALUE_BYTES - 2) {
      v.append('x');
    }
    v.append("\"}");
    producer.send(new ProducerRecord<>(topic, ("key-" + (i % KEYS)).getBytes(StandardCharsets.UTF_8),
        v.toString().getBytes(StandardCharsets.UTF_8)), (md, e) -> {
          if (e != null) {
            produceErrors.incrementAndGet();
          }
        });
  }

  private void produceBacklog(String topic, int n) {
    for (int i = 0; i < n; i++) {
      send(topic);
    }
    producer.flush();
  }

  private void createWebhook(String name, String topic, String path) throws Exception {
    String body = String.format(Locale.ROOT, "{\"name\":\"%s\",\"topics\":[\"%s\"],\"url\":\"%s%s\",\"secret\":\"%s\","
        + "\"timeoutMs\":60000,\"maxAttempts\":10}", name, topic, receiverUrl, path, secret);
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(gateway + "/webhooks"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IllegalStateException("POST /webhooks answered " + r.statusCode() + ": " + r.body());
    }
  }

  private void deleteWebhook(String name) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(gateway + "/webhooks/" + name)).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 204) {
      throw new IllegalStateException("DELETE /webhooks/" + name + " answered " + r.statusCode() + ": " + r.body());
    }
  }

  private void startBaseline(String bootstrap, byte[] key) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    baseline = new ProcessBuilder(java.toString(), "-Xmx" + opts.getOrDefault("baseline-heap", "1g"), "-cp",
        System.getProperty("java.class.path"), WebhookBaseline.class.getName(), bootstrap, String.valueOf(maxInFlight),
        Base64.getEncoder().encodeToString(key)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    baselineIn = new OutputStreamWriter(baseline.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(baseline.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          baselineOut.add(line);
        }
      } catch (java.io.IOException ignored) {
        // the process ended
      }
    }, "baseline-out");
    reader.setDaemon(true);
    reader.start();
    expectBaseline("BASELINE READY");
  }

  private void baselineCommand(String line) throws Exception {
    baselineIn.write(line + "\n");
    baselineIn.flush();
  }

  private void stopBaseline() throws Exception {
    baselineCommand("stop");
    expectBaseline("STOPPED");
  }

  private void expectBaseline(String what) throws Exception {
    for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120); System.nanoTime() < end; ) {
      String line = baselineOut.poll(1, TimeUnit.SECONDS);
      if (what.equals(line)) {
        return;
      }
    }
    throw new IllegalStateException("the baseline process did not print " + what);
  }

  private void close() {
    try {
      baselineCommand("exit");
      baseline.waitFor(10, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // destroyed below
    }
    baseline.destroyForcibly();
    producer.close();
    admin.close();
    try {
      receiver.close();
    } catch (Exception ignored) {
      // exiting anyway
    }
  }

  // ---- measuring ----

  interface Step {
    void run() throws Exception;
  }

  private static void await(String what, double seconds, BooleanSupplier done) {
    if (!await(what, seconds, done, true)) {
      throw new IllegalStateException("timed out: " + what);
    }
  }

  /** Polls an observable condition every 20 ms for at most {@code seconds}. */
  private static boolean await(String what, double seconds, BooleanSupplier done, boolean quiet) {
    long end = System.nanoTime() + (long) (seconds * 1e9);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > end) {
        return false;
      }
      LockSupport.parkNanos(20_000_000);
    }
    return true;
  }

  /** CPU of one process and of the whole machine, from /proc, between start and stop. */
  record Usage(long pid, long ticks0, long t0, long[] machine0) {
    record Result(double cpuSeconds, double cores, double machineBusy) {}

    static Usage start(long pid) {
      return new Usage(pid, PublishBenchmark.Gauge.cpuTicks(pid), System.nanoTime(), machine());
    }

    /** @param endNanos when the last delivery arrived: the window ends there */
    Result stop(long endNanos) {
      long ticks = PublishBenchmark.Gauge.cpuTicks(pid) - ticks0;
      long[] m = machine();
      double secs = Math.max(1e-3, (Math.max(endNanos, t0 + 1) - t0) / 1e9);
      double busy = m[1] == machine0[1] ? Double.NaN : (double) (m[0] - machine0[0]) / (m[1] - machine0[1]);
      return new Result(ticks / 100.0, ticks / 100.0 / secs, busy);
    }

    /** Busy and total ticks of the whole machine, from /proc/stat. */
    static long[] machine() {
      try {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < f.length; i++) {
          total += Long.parseLong(f[i]);
        }
        long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
        return new long[] {total - idle, total};
      } catch (Exception e) {
        return new long[] {0, 0};
      }
    }
  }

  private static final Pattern USED = Pattern.compile("used (\\d+)K");

  /** The process's heap (MB) after two full GCs (jcmd GC.run), read with jcmd GC.heap_info. */
  static double heapAfterGcMb(long pid) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      for (int i = 0; i < 2; i++) {
        new ProcessBuilder(jcmd.toString(), String.valueOf(pid), "GC.run").redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
      }
      Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(pid), "GC.heap_info").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(60, TimeUnit.SECONDS);
      Matcher m = USED.matcher(out);
      return m.find() ? Long.parseLong(m.group(1)) / 1024.0 : Double.NaN;
    } catch (Exception e) {
      return Double.NaN;
    }
  }
}
