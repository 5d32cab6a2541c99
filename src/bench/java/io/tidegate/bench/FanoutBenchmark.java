package io.tidegate.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Fan-out benchmark, the client side: N WebSocket clients in this JVM, the gateway, the bare broadcaster and
 * the broker in others. For each N it measures:
 * <ol>
 *   <li>the ceiling: the bare Vert.x server broadcasting pre-encoded frames of the gateway's frame size to the
 *       N clients as fast as they take them;</li>
 *   <li>the gateway's heap per idle subscribed connection (after a full GC, before and after connecting);</li>
 *   <li>the gateway at fixed producer rates (200-byte records written by Kafka's producer in this JVM, round
 *       robin over 6 partitions), stepping up as a share of the ceiling: delivered records/s, end-to-end
 *       latency from the record's timestamp to receipt (same clock), lost and duplicated records per client
 *       and partition, gateway CPU and heap.</li>
 * </ol>
 */
public final class FanoutBenchmark {
  private static final int PARTITIONS = 6;
  private static final int VALUE_BYTES = 200;

  private final Map<String, String> a;
  private final Vertx vertx;
  private final WebSocketClient wsClient;
  private final io.vertx.core.http.HttpClient sseClient;
  private final String bootstrap;
  private final long gatewayPid;
  private final String gatewayHttp;
  private final int seconds;
  /** The gateways compared: auth off, and with {@code --auth-gateway} auth on, one token kind after the other. */
  private AuthCost auth;

  private FanoutBenchmark(Map<String, String> a) {
    this.a = a;
    this.vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true)
        .setEventLoopPoolSize(Integer.parseInt(a.getOrDefault("client-loops", "2"))));
    this.wsClient = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(100_000)
        .setMaxFrameSize(1 << 20).setConnectTimeout(60_000));
    this.sseClient = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions().setConnectTimeout(60_000)
        .setKeepAlive(false), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(100_000));
    this.bootstrap = a.getOrDefault("bootstrap", "127.0.0.1:9092");
    this.gatewayPid = Long.parseLong(a.getOrDefault("gateway-pid", "-1"));
    this.gatewayHttp = "http://127.0.0.1:" + a.getOrDefault("gateway-port", "8080");
    this.seconds = Integer.parseInt(a.getOrDefault("seconds", "20"));
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> a = PublishBenchmark.args(args);
    FanoutBenchmark b = new FanoutBenchmark(a);
    b.auth = new AuthCost(b.vertx, a, b.gatewayHttp, b.gatewayPid);
    List<String> table = new ArrayList<>();
    for (String n : a.getOrDefault("clients", "1000,10000").split(",")) {
      b.run(Integer.parseInt(n.trim()), table);
    }
    System.out.println();
    System.out.println("== Fan-out benchmark summary (" + b.seconds + " s per step, " + VALUE_BYTES + "-byte values, "
        + PARTITIONS + " partitions)");
    System.out.println(header());
    table.forEach(System.out::println);
    b.auth.print();
    b.vertx.close().await();
    System.exit(0);
  }

  static String header() {
    return String.format(Locale.ROOT, "%-7s %-30s %10s %12s %8s %8s %8s %6s %6s %7s  %s", "clients", "phase", "records/s",
        "delivered/s", "p50 ms", "p99 ms", "p999 ms", "lost", "dup", "of bare", "gateway cpu / heap");
  }

  private void run(int n, List<String> table) throws Exception {
    System.out.printf(Locale.ROOT, "%n== %d clients%n", n);
    // 1. The ceiling: one frame per round, then 16 frames per round (one flush for 16 frames); the better counts.
    double ceilingRate = 0;
    String[] hosts = {"127.0.0.2", "127.0.0.3"}; // distinct addresses: 4 x 10,000 connections fit the ephemeral ports
    int[] framesPerRound = {1, 16};
    for (int v = 0; v < framesPerRound.length; v++) {
      int f = framesPerRound[v];
      Clients bare = connect(n, hosts[v], Integer.parseInt(a.getOrDefault("bare-port", "8081")), null, null);
      Phase ceiling = bare.measure(() -> {
        httpGet("http://127.0.0.1:" + a.getOrDefault("bare-port", "8081") + "/broadcast?seconds=" + seconds
            + "&valueBytes=" + VALUE_BYTES + "&framesPerRound=" + f);
        sleep(seconds * 1000L);
      }, seconds);
      Thread.sleep(1000); // the broadcast's last frames
      bare.close();
      double rate = ceiling.delivered / (double) seconds;
      ceilingRate = Math.max(ceilingRate, rate);
      String line = String.format(Locale.ROOT, "%-7d %-30s %10s %12.0f %8.1f %8.1f %8.1f %6s %6s %7s  %s", n,
          "bare Vert.x broadcast, " + f + "/round", "-", rate, ceiling.p(50), ceiling.p(99), ceiling.p(99.9), "-", "-", "-", "-");
      System.out.println(line);
      table.add(line);
    }

    // 2. The gateway: heap per idle connection, then fixed producer rates; with auth compared, each gateway on a
    // topic of its own (the one not measured reads its topic, on which nothing arrives meanwhile).
    String topic = "fanout-" + n + "-" + System.currentTimeMillis();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      List<NewTopic> topics = new ArrayList<>();
      for (AuthCost.Target t : auth.targets()) {
        topics.add(new NewTopic(topic(topic, t), PARTITIONS, (short) 1));
      }
      admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
    }
    Thread.sleep(1000);
    for (String transport : a.getOrDefault("transports", "ws,sse").split(",")) {
      gatewaySteps(n, topic, transport.trim(), ceilingRate, table);
    }
  }

  private String topic(String base, AuthCost.Target t) {
    return auth.targets().size() > 1 ? base + "-" + t.key() : base;
  }

  /**
   * Heap per idle connection, then fixed producer rates, for N clients of one transport (ws or sse). With auth
   * compared, each gateway has its N clients on a topic of its own, all connected at once, and the gateways take
   * turns at each rate (A B, then B A at the next), so that both see the same background load.
   */
  private void gatewaySteps(int n, String topicBase, String transport, double ceilingRate, List<String> table)
      throws Exception {
    boolean sse = "sse".equals(transport);
    List<AuthCost.Target> targets = auth.targets();
    List<Clients> clients = new ArrayList<>();
    for (AuthCost.Target t : targets) {
      clients.add(idle(n, topic(topicBase, t), sse, t, table));
    }
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrap);
    props.put("acks", "all");
    props.put("linger.ms", 1);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      // Warm-up (not reported): each gateway's JIT compiles the fan-out path.
      for (int i = 0; i < targets.size(); i++) {
        String topic = topic(topicBase, targets.get(i));
        produce(producer, topic, (int) Math.max(1, 0.25 * ceilingRate / n), Math.min(seconds, 10));
        clients.get(i).awaitAll(endOffsets(topic), 20_000);
      }
      String[] shares = a.getOrDefault("shares", "0.02,0.1,0.25,0.5,1.0").split(",");
      for (int s = 0; s < shares.length; s++) {
        boolean past = false;
        for (int j = 0; j < targets.size(); j++) {
          int i = s % 2 == 0 ? j : targets.size() - 1 - j;
          past |= step(n, shares[s], ceilingRate, sse, topic(topicBase, targets.get(i)), clients.get(i), targets.get(i),
              producer, table);
        }
        if (past) {
          System.out.println("   (stopping the steps for " + n + " clients: past what the gateway sustains)");
          break;
        }
      }
    }
    clients.forEach(Clients::close);
    Thread.sleep(2000);
  }

  private String label(boolean sse, AuthCost.Target target) {
    return (sse ? "gateway SSE" : "gateway") + (auth.targets().size() > 1 ? " [" + target.key() + "]" : "");
  }

  /** Connects N clients of one gateway, subscribed to {@code topic}: the heap they take, after a full GC. */
  private Clients idle(int n, String topic, boolean sse, AuthCost.Target target, List<String> table) throws Exception {
    long heapBefore = gatewayHeapAfterGc(target);
    int port = target.port();
    Clients gw = sse ? connectSse(n, "127.0.0.4", port, topic, target.token())
        : connect(n, "127.0.0.1", port, topic, target.token());
    long heapAfter = gatewayHeapAfterGc(target);
    double perConnection = (heapAfter - heapBefore) / (double) n;
    String line = String.format(Locale.ROOT, "%-7d %-30s %s", n, label(sse, target) + ", idle subscribed",
        String.format(Locale.ROOT, "heap %d MB -> %d MB after a full GC: %.1f KB per connection; sessions %s, Kafka consumers %s",
            heapBefore >> 20, heapAfter >> 20, perConnection / 1024,
            metric(target, sse ? "tidegate_sse_sessions" : "tidegate_ws_sessions"), metric(target, "tidegate_feed_consumers")));
    System.out.println(line);
    table.add(line);
    auth.add(new AuthCost.Result(String.format(Locale.ROOT, "%d %s idle, heap after GC", n, sse ? "SSE" : "WebSocket"),
        target, Double.NaN, Double.NaN, Double.NaN, Double.NaN, heapAfter / 1024.0 / 1024.0));
    return gw;
  }

  /** One fixed producer rate on one gateway's topic; true when the gateway did not keep up (stop the steps). */
  private boolean step(int n, String share, double ceilingRate, boolean sse, String topic, Clients gw,
      AuthCost.Target target, KafkaProducer<byte[], byte[]> producer, List<String> table) throws Exception {
    double deliveries = Double.parseDouble(share) * ceilingRate;
    int rate = (int) Math.max(1, Math.round(deliveries / n));
    Map<Integer, Long> start = endOffsets(topic);
    gw.expect(start);
    PublishBenchmark.Gauge gauge = PublishBenchmark.Gauge.start(target.pid(), target.url());
    long self = ProcessHandle.current().pid();
    long clientTicks0 = PublishBenchmark.Gauge.cpuTicks(self);
    long[] machine0 = machineTicks();
    long stepStart = System.nanoTime();
    Recorder kafkaLatency = new Recorder(3);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread floor = new Thread(() -> kafkaFloor(topic, start, kafkaLatency, stop), "kafka-floor");
    floor.start();
    Phase p = gw.measure(() -> produce(producer, topic, rate, seconds), seconds);
    stop.set(true);
    floor.join();
    Histogram k = kafkaLatency.getIntervalHistogram();
    Map<Integer, Long> end = endOffsets(topic);
    long produced = 0;
    for (int part = 0; part < PARTITIONS; part++) {
      produced += end.get(part) - start.get(part);
    }
    long tail = gw.awaitAll(end, 20_000);
    PublishBenchmark.Gauge.Usage used = gauge.stop();
    String usage = used.toString();
    double stepSecs = (System.nanoTime() - stepStart) / 1e9;
    long[] machine1 = machineTicks();
    usage += String.format(Locale.ROOT, "; clients %.2f cores; machine %.0f%% busy",
        (PublishBenchmark.Gauge.cpuTicks(self) - clientTicks0) / 100.0 / stepSecs,
        100.0 * (machine1[0] - machine0[0]) / Math.max(1, machine1[1] - machine0[1]));
    long lost = gw.lost(end);
    String line = String.format(Locale.ROOT, "%-7d %-30s %10.0f %12.0f %8.1f %8.1f %8.1f %6d %6d %6.1f%%  %s", n,
        label(sse, target) + " at " + share + " of ceiling", produced / (double) seconds, p.delivered / (double) seconds,
        p.p(50), p.p(99), p.p(99.9), lost, gw.dups.sum(), 100.0 * p.delivered / seconds / ceilingRate,
        usage + (gw.open() < n ? ", " + (n - gw.open()) + " sockets closed" : "") + (tail > 0 ? ", " + tail + " ms to drain" : ""));
    System.out.println(line);
    table.add(line);
    auth.add(new AuthCost.Result(String.format(Locale.ROOT, "%d %s, %d records/s", n, sse ? "SSE" : "WebSocket", rate),
        target, p.delivered / (double) seconds, p.p(50), p.p(99), used.cores(),
        PublishBenchmark.Gauge.heapAfterGcMb(target.pid(), target.url())));
    line = String.format(Locale.ROOT, "%-7d %-30s %10s %12s %8.1f %8.1f %8.1f", n, "  kafka consumer, same records", "-", "-",
        k.getValueAtPercentile(50) / 1000.0, k.getValueAtPercentile(99) / 1000.0, k.getValueAtPercentile(99.9) / 1000.0);
    System.out.println(line);
    table.add(line);
    return lost > 0 || gw.dups.sum() > 0 || p.p(99) > 1000;
  }

  // ---- the clients ----

  /** One measured interval: frames received and their latency. */
  static final class Phase {
    long delivered;
    Histogram latency;

    double p(double percentile) {
      return latency.getTotalCount() == 0 ? Double.NaN : latency.getValueAtPercentile(percentile) / 1000.0;
    }
  }

  /** N sockets; each tracks, per partition, the next offset it expects, to count lost and duplicated records. */
  final class Clients {
    final List<WebSocket> sockets = new ArrayList<>();
    /** For SSE clients: closes each stream's connection. */
    final List<Runnable> closers = new ArrayList<>();
    final List<long[]> next = new ArrayList<>();
    final LongAdder received = new LongAdder();
    final LongAdder dups = new LongAdder();
    final LongAdder gaps = new LongAdder();
    final Recorder latency = new Recorder(3);
    final AtomicInteger closed = new AtomicInteger();

    int open() {
      return sockets.size() + closers.size() - closed.get();
    }

    /** Every socket now expects these offsets next (call before producing). */
    void expect(Map<Integer, Long> start) {
      for (long[] nx : next) {
        synchronized (nx) { // the socket's handler reads it on its event loop
          for (int p = 0; p < PARTITIONS; p++) {
            nx[p] = start.get(p);
          }
        }
      }
      gaps.reset();
      dups.reset();
    }

    Phase measure(Runnable load, int secs) throws InterruptedException {
      latency.getIntervalHistogram();
      long before = received.sum();
      Thread t = new Thread(load, "load");
      t.start();
      t.join();
      Phase p = new Phase();
      p.delivered = received.sum() - before;
      p.latency = latency.getIntervalHistogram();
      return p;
    }

    /** Waits until every open socket has reached the end offsets; returns how long the tail took (ms). */
    long awaitAll(Map<Integer, Long> end, long timeoutMs) throws InterruptedException {
      long t0 = System.currentTimeMillis();
      while (System.currentTimeMillis() - t0 < timeoutMs) {
        if (lost(end) == 0) {
          break;
        }
        Thread.sleep(50);
      }
      return System.currentTimeMillis() - t0;
    }

    /** Records missing at the end: skipped over (gaps) or never arrived, over the open sockets. */
    long lost(Map<Integer, Long> end) {
      long missing = gaps.sum();
      for (int i = 0; i < next.size(); i++) {
        long[] nx = next.get(i);
        synchronized (nx) {
          if (nx[PARTITIONS] != 0) {
            continue; // closed
          }
          for (int p = 0; p < PARTITIONS; p++) {
            missing += Math.max(0, end.get(p) - nx[p]);
          }
        }
      }
      return missing;
    }

    void close() {
      for (WebSocket ws : sockets) {
        ws.close();
      }
      closers.forEach(Runnable::run);
    }
  }

  /** Connects n clients (at most 256 handshakes in flight); with a topic, each subscribes from latest. */
  private Clients connect(int n, String host, int port, String topic, String token) throws Exception {
    Clients c = new Clients();
    long t0 = System.currentTimeMillis();
    java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(256);
    java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(n);
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    List<WebSocket> sockets = java.util.Collections.synchronizedList(new ArrayList<>());
    List<long[]> nexts = java.util.Collections.synchronizedList(new ArrayList<>());
    // the bare server's frames name the topic "bare"; their offsets are not tracked
    byte[] prefix = ("{\"type\":\"record\",\"topic\":\"" + (topic == null ? "bare" : topic) + "\",\"partition\":")
        .getBytes(StandardCharsets.UTF_8);
    boolean track = topic != null;
    for (int i = 0; i < n; i++) {
      inFlight.acquire();
      long[] nx = new long[PARTITIONS + 1]; // the last slot: 1 once closed
      wsClient.connect(new WebSocketConnectOptions().setHost(host).setPort(port)
              .setURI(token == null ? "/ws" : "/ws?access_token=" + token))
          .onComplete(ar -> {
            if (ar.failed()) {
              inFlight.release();
              failures.add(ar.cause());
              ready.countDown();
              return;
            }
            WebSocket ws = ar.result();
            sockets.add(ws);
            nexts.add(nx);
            ws.closeHandler(v -> {
              synchronized (nx) {
                nx[PARTITIONS] = 1;
              }
              c.closed.incrementAndGet();
            });
            boolean[] subscribed = {topic == null};
            ws.handler(buf -> {
              if (!subscribed[0]) {
                String text = buf.toString(StandardCharsets.UTF_8);
                if (text.contains("\"subscribed\"")) {
                  subscribed[0] = true;
                  inFlight.release();
                  ready.countDown();
                } else if (text.contains("\"type\":\"error\"")) {
                  subscribed[0] = true; // counted as failed: the run stops once all have answered
                  failures.add(new IllegalStateException("subscribe refused: " + text));
                  inFlight.release();
                  ready.countDown();
                }
                return;
              }
              onFrame(c, track ? nx : null, buf, prefix.length);
            });
            if (topic == null) {
              inFlight.release();
              ready.countDown();
            } else {
              ws.writeTextMessage("{\"type\":\"subscribe\",\"id\":\"s\",\"topics\":[\"" + topic + "\"],\"from\":\"latest\"}");
            }
          });
    }
    if (!ready.await(300, TimeUnit.SECONDS)) {
      throw new IllegalStateException("only " + (n - ready.getCount()) + " of " + n + " clients ready");
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException(failures.size() + " connections failed, first: " + failures.peek());
    }
    c.sockets.addAll(sockets);
    c.next.addAll(nexts);
    System.out.printf(Locale.ROOT, "   %d clients connected%s in %.1f s%n", n, topic == null ? "" : " and subscribed",
        (System.currentTimeMillis() - t0) / 1000.0);
    return c;
  }

  /** Connects n SSE clients to {@code /events?topic=} (latest); each counts as ready at its subscribed event. */
  private Clients connectSse(int n, String host, int port, String topic, String token) throws Exception {
    Clients c = new Clients();
    long t0 = System.currentTimeMillis();
    java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(256);
    java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(n);
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    List<Runnable> closers = java.util.Collections.synchronizedList(new ArrayList<>());
    List<long[]> nexts = java.util.Collections.synchronizedList(new ArrayList<>());
    // an event starts: event: record, then the record, whose first fields are topic, partition, offset, timestamp
    byte[] prefix = ("event: record\ndata: {\"topic\":\"" + topic + "\",\"partition\":").getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < n; i++) {
      inFlight.acquire();
      long[] nx = new long[PARTITIONS + 1];
      sseClient.request(new io.vertx.core.http.RequestOptions().setHost(host).setPort(port)
              .setURI("/events?topic=" + topic + (token == null ? "" : "&access_token=" + token))
              .setMethod(io.vertx.core.http.HttpMethod.GET))
          .compose(io.vertx.core.http.HttpClientRequest::send)
          .onComplete(ar -> {
            if (ar.failed() || ar.result().statusCode() != 200) {
              inFlight.release();
              failures.add(ar.failed() ? ar.cause() : new IllegalStateException("status " + ar.result().statusCode()));
              ready.countDown();
              return;
            }
            io.vertx.core.http.HttpClientResponse resp = ar.result();
            io.vertx.core.http.HttpConnection conn = resp.request().connection();
            closers.add(() -> conn.close());
            nexts.add(nx);
            conn.closeHandler(v -> {
              synchronized (nx) {
                nx[PARTITIONS] = 1;
              }
              c.closed.incrementAndGet();
            });
            boolean[] subscribed = {false};
            resp.handler(io.vertx.core.parsetools.RecordParser.newDelimited("\n\n", ev -> {
              if (!subscribed[0]) {
                if (ev.toString(StandardCharsets.UTF_8).contains("event: subscribed")) {
                  subscribed[0] = true;
                  inFlight.release();
                  ready.countDown();
                }
                return;
              }
              if (ev.length() > prefix.length && ev.getByte(0) == 'e') {
                onFrame(c, nx, ev, prefix.length);
              }
            }));
          });
    }
    if (!ready.await(300, TimeUnit.SECONDS)) {
      throw new IllegalStateException("only " + (n - ready.getCount()) + " of " + n + " SSE clients ready");
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException(failures.size() + " SSE connections failed, first: " + failures.peek());
    }
    c.closers.addAll(closers);
    c.next.addAll(nexts);
    System.out.printf(Locale.ROOT, "   %d SSE clients connected and subscribed in %.1f s%n", n,
        (System.currentTimeMillis() - t0) / 1000.0);
    return c;
  }

  /**
   * Reads partition, offset and timestamp straight from the frame's bytes (the gateway writes them first, in
   * this order) and checks the offset against what this socket expects next on that partition.
   */
  private static void onFrame(Clients c, long[] nx, Buffer buf, int prefix) {
    long now = System.currentTimeMillis();
    c.received.increment();
    int i = prefix;
    long[] out = new long[1];
    i = number(buf, i, out);
    int partition = (int) out[0];
    i = number(buf, i + ",\"offset\":".length(), out);
    long offset = out[0];
    number(buf, i + ",\"timestamp\":".length(), out);
    long ts = out[0];
    c.latency.recordValue(Math.max(0, now - ts) * 1000);
    if (nx == null) {
      return;
    }
    synchronized (nx) {
      long want = nx[partition];
      if (offset == want) {
        nx[partition] = offset + 1;
      } else if (offset > want) {
        c.gaps.add(offset - want);
        nx[partition] = offset + 1;
      } else {
        c.dups.increment();
      }
    }
  }

  private static int number(Buffer buf, int i, long[] out) {
    long v = 0;
    while (i < buf.length()) {
      byte b = buf.getByte(i);
      if (b < '0' || b > '9') {
        break;
      }
      v = v * 10 + (b - '0');
      i++;
    }
    out[0] = v;
    return i;
  }

  // ---- the producer ----

  /** Writes 200-byte JSON records at a fixed rate for the given seconds, round robin over the partitions. */
  private static void produce(KafkaProducer<byte[], byte[]> producer, String topic, int rate, int secs) {
    long t0 = System.nanoTime();
    long total = (long) rate * secs;
    long sent = 0;
    String fill = "x".repeat(VALUE_BYTES - "{\"n\":0000000000,\"pad\":\"\"}".length());
    while (sent < total) {
      long due = Math.min(total, (System.nanoTime() - t0) * rate / 1_000_000_000L + 1);
      while (sent < due) {
        byte[] value = String.format(Locale.ROOT, "{\"n\":%010d,\"pad\":\"%s\"}", sent, fill).getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(topic, (int) (sent % PARTITIONS), System.currentTimeMillis(), null, value));
        sent++;
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    producer.flush();
  }

  /** Busy and total CPU ticks of the whole machine, from /proc/stat. */
  private static long[] machineTicks() {
    try {
      String[] f = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < f.length; i++) {
        total += Long.parseLong(f[i]);
      }
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
      return new long[] {total - idle, total};
    } catch (Exception e) {
      return new long[] {0, 1};
    }
  }

  /** The floor: a plain Kafka consumer in this JVM reading the same records, timed the same way. */
  private void kafkaFloor(String topic, Map<Integer, Long> start, Recorder latency, java.util.concurrent.atomic.AtomicBoolean stop) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrap);
    props.put("fetch.max.wait.ms", 20); // as the gateway's feed
    try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(
        props, new org.apache.kafka.common.serialization.ByteArrayDeserializer(), new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        tps.add(new TopicPartition(topic, p));
      }
      consumer.assign(tps);
      tps.forEach(tp -> consumer.seek(tp, start.get(tp.partition())));
      while (!stop.get()) {
        for (var r : consumer.poll(java.time.Duration.ofMillis(100))) {
          latency.recordValue(Math.max(0, System.currentTimeMillis() - r.timestamp()) * 1000);
        }
      }
    }
  }

  private Map<Integer, Long> endOffsets(String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
      for (int p = 0; p < PARTITIONS; p++) {
        ask.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      Map<Integer, Long> out = new HashMap<>();
      admin.listOffsets(ask).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp.partition(), info.offset()));
      return out;
    }
  }

  // ---- the gateway's numbers ----

  private long gatewayHeapAfterGc(AuthCost.Target target) throws Exception {
    long gatewayPid = target.pid();
    if (gatewayPid > 0) {
      Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
      for (int i = 0; i < 2; i++) {
        new ProcessBuilder(jcmd.toString(), String.valueOf(gatewayPid), "GC.run").redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
      }
    }
    return (long) metricSum(target, "jvm_memory_used_bytes{", "area=\"heap\"");
  }

  private String metric(AuthCost.Target target, String name) {
    double v = metricSum(target, name, "");
    return Double.isNaN(v) ? "?" : String.format(Locale.ROOT, "%.0f", v);
  }

  private double metricSum(AuthCost.Target target, String prefix, String contains) {
    try {
      var http = java.net.http.HttpClient.newHttpClient();
      String body = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(target.url() + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      double sum = 0;
      boolean found = false;
      for (String line : body.split("\n")) {
        if (line.startsWith(prefix) && (line.charAt(prefix.length()) == ' ' || line.charAt(prefix.length()) == '{'
            || prefix.endsWith("{")) && line.contains(contains)) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
          found = true;
        }
      }
      return found ? sum : Double.NaN;
    } catch (Exception e) {
      return Double.NaN;
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void httpGet(String url) {
    try {
      var http = java.net.http.HttpClient.newHttpClient();
      http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
