package io.tidegate;

import static io.tidegate.testing.KafkaTestClients.admin;
import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayProcess;
import io.tidegate.testing.GatewayProcess.Exchange;
import io.tidegate.testing.KafkaBrokerExtension;
import io.tidegate.testing.SseClient;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gateways in processes of their own on the suite's broker, stopped as an orchestrator stops them: SIGTERM (the
 * graceful drain) and SIGKILL. Their clients move to a second gateway, {@code survivor}, and resume there: every
 * record once, none lost, none twice. Publishes open at a SIGTERM are all answered, also when Kafka cannot
 * acknowledge them.
 */
@ExtendWith(KafkaBrokerExtension.class)
class GatewayFailureIT {
  private static final int PARTITIONS = 3;
  static GatewayProcess survivor;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    survivor = GatewayProcess.start(Map.of());
  }

  @AfterAll
  static void stop() {
    if (survivor != null) {
      survivor.close();
    }
    Awaits.result(vertx.close());
  }

  @Test
  void sigtermDrainsAndEveryClientResumesOnTheOtherGatewayWithNoGapAndNoDuplicate() throws Exception {
    String topic = uniqueTopic("drain");
    createTopic(topic, PARTITIONS);
    GatewayProcess gw = GatewayProcess.start(Map.of()).awaitReady();
    survivor.awaitReady();
    try (Load load = new Load(topic)) {
      Map<Integer, Long> start = endOffsets(topic);
      List<WsClient> subs = subscribe(gw, topic, start, 3);
      List<SseClient> streams = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        SseClient s = SseClient.open(gw.url("/events?topic=" + topic));
        Awaits.until("the stream is subscribed", Duration.ofSeconds(30), () -> !s.named("subscribed").isEmpty());
        streams.add(s);
      }
      // publishes through the gateway that stops: HTTP (a fresh connection each) and WebSocket
      List<Exchange> publishes = new CopyOnWriteArrayList<>();
      // each publisher's own exchanges, in order: see the kernel's exception below
      List<List<Exchange>> byPublisher = new CopyOnWriteArrayList<>();
      AtomicBoolean refused = new AtomicBoolean();
      ExecutorService http = Executors.newFixedThreadPool(4);
      for (int t = 0; t < 4; t++) {
        List<Exchange> mine = new CopyOnWriteArrayList<>();
        byPublisher.add(mine);
        http.submit(() -> {
          while (!refused.get()) {
            Exchange e = gw.exchange("POST", "/topics/" + topic + "/records", "application/json",
                new JsonObject().put("value", "http").encode());
            publishes.add(e);
            mine.add(e);
            if (e.kind() == Exchange.Kind.REFUSED) {
              refused.set(true);
            }
          }
        });
      }
      WsPublisher wsPublisher = new WsPublisher(WsClient.connect(vertx, gw.port()), topic);
      load.start();
      Awaits.until("records flow to every client", Duration.ofSeconds(60),
          () -> subs.stream().allMatch(c -> c.recordCount() > 100) && streams.stream().allMatch(s -> s.records().size() > 100)
              && publishes.size() > 20);

      gw.terminate();
      // connections opened right after the signal: each is refused or answered, never cut
      List<Exchange> afterSignal = new ArrayList<>();
      for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); System.nanoTime() < until; ) {
        Exchange e = gw.exchange("GET", "/health/ready", null, null);
        afterSignal.add(e);
        if (e.kind() == Exchange.Kind.REFUSED) {
          break;
        }
      }
      for (WsClient c : subs) {
        assertEquals((short) 1012, c.awaitClose(), "service restart");
      }
      assertEquals(143, gw.awaitExit(Duration.ofSeconds(60)), "the shutdown hook ran; log:\n" + gw.log());
      http.shutdown();
      assertTrue(http.awaitTermination(60, TimeUnit.SECONDS), "every publisher got its answer or a refused connection");

      // a connection made after the signal is refused or answered, never cut; the one exception is the kernel's:
      // a connection it completed but the gateway had not yet accepted when the listening socket closed is reset
      // with nothing sent (the exchanges are one at a time, so only the one right before the first refusal can be)
      int firstRefused = afterSignal.indexOf(afterSignal.stream().filter(e -> e.kind() == Exchange.Kind.REFUSED)
          .findFirst().orElse(null));
      List<Exchange> cut = new ArrayList<>();
      for (int i = 0; i < afterSignal.size(); i++) {
        Exchange e = afterSignal.get(i);
        boolean atTheClose = i == firstRefused - 1 && e.head() == null;
        if (e.kind() == Exchange.Kind.CUT && !atTheClose) {
          cut.add(e);
        }
      }
      assertEquals(List.of(), cut, "a connection made after the signal is refused or answered, never cut: " + afterSignal);
      // the JVM takes a moment to run its shutdown hook after the signal: answers before that are ordinary 200s;
      // from the first answer of the drain on, every one is 503 with Retry-After (or the connection is refused)
      List<Exchange> duringDrain = afterSignal.stream()
          .dropWhile(e -> e.kind() == Exchange.Kind.ANSWERED && e.status() == 200).toList();
      assertFalse(duringDrain.isEmpty(), "the drain began: " + afterSignal);
      assertTrue(duringDrain.stream().filter(e -> e.kind() == Exchange.Kind.ANSWERED).allMatch(e -> e.status() == 503
          && e.head().contains("Retry-After")), "answered 503 with Retry-After while draining: " + duringDrain);
      // every publish gets an answer or a refused connection; the kernel's exception as above: a publisher's
      // connection made just before the listening socket closed (its last, or the one before its refusal), reset
      // with nothing sent, is one the gateway never accepted, so nothing of it was published
      List<Exchange> cutPublishes = new ArrayList<>();
      for (List<Exchange> mine : byPublisher) {
        int last = mine.size() - 1;
        int atTheClose = last >= 0 && mine.get(last).kind() == Exchange.Kind.REFUSED ? last - 1 : last;
        for (int i = 0; i < mine.size(); i++) {
          Exchange e = mine.get(i);
          if (e.kind() == Exchange.Kind.CUT && !(i == atTheClose && e.head() == null)) {
            cutPublishes.add(e);
          }
        }
      }
      assertEquals(List.of(), cutPublishes, "every HTTP publish got an answer (or a refused connection), none was cut");
      assertTrue(publishes.stream().anyMatch(e -> e.kind() == Exchange.Kind.ANSWERED && e.status() == 200));
      wsPublisher.assertAllAnsweredBeforeTheClose();

      // the WebSocket clients resume on the other gateway from the offsets of their draining frame
      List<List<JsonObject>> wsRecords = new ArrayList<>();
      for (WsClient c : subs) {
        List<JsonObject> frames = c.frames();
        JsonObject draining = frames.get(frames.size() - 1);
        assertEquals("draining", draining.getString("type"), "the last frame before 1012");
        JsonObject offsets = draining.getJsonObject("offsets");
        assertEquals(PARTITIONS, offsets.getJsonObject(topic).size(), "every partition: " + draining);
        List<JsonObject> got = new ArrayList<>(c.records());
        WsClient again = WsClient.connect(vertx, survivor.port());
        again.send(new JsonObject().put("type", "subscribe").put("id", "again").put("topics", new JsonArray().add(topic))
            .put("from", new JsonObject().put("offsets", offsets)));
        again.awaitType("subscribed", "again");
        wsRecords.add(got);
        c.close();
        subs.set(subs.indexOf(c), again);
      }
      // the SSE clients resume on the other gateway with their Last-Event-ID
      List<SseClient> resumed = new ArrayList<>();
      for (SseClient s : streams) {
        assertEquals(1, s.named("draining").size(), "event: draining before the stream ended");
        String lastId = s.lastEventId();
        s.close();
        SseClient again = SseClient.open(survivor.url("/events?topic=" + topic), lastId);
        resumed.add(again);
      }
      load.awaitMore(300);
      load.close();
      Map<Integer, Long> end = endOffsets(topic);
      for (int i = 0; i < subs.size(); i++) {
        WsClient c = subs.get(i);
        long owed = total(end, start) - wsRecords.get(i).size();
        Awaits.until("the resumed client has every record", Duration.ofSeconds(60), () -> c.recordCount() >= owed);
        List<JsonObject> all = new ArrayList<>(wsRecords.get(i));
        all.addAll(c.records());
        assertExactlyOnce("WebSocket client " + i, all, start, end);
        Set<Object> values = all.stream().map(r -> r.getValue("value")).collect(Collectors.toSet());
        for (String id : wsPublisher.unanswered) {
          assertTrue(!values.contains("ws:" + id), "an unanswered publish (" + id + ") was never written");
        }
      }
      for (int i = 0; i < streams.size(); i++) {
        SseClient before = streams.get(i);
        SseClient after = resumed.get(i);
        long owed = total(end, start) - before.records().size();
        Awaits.until("the resumed stream has every record", Duration.ofSeconds(60), () -> after.records().size() >= owed);
        List<JsonObject> all = new ArrayList<>(before.records());
        all.addAll(after.records());
        assertExactlyOnce("SSE client " + i, all, start, end);
        after.close();
      }
      subs.forEach(WsClient::close);
    } finally {
      gw.close();
    }
  }

  @Test
  void sigtermWhileKafkaCannotAcknowledgeAnswersEveryWaitingPublishBeforeExiting() throws Exception {
    // A broker of this test's own, stopped once the gateway knows the topic: the producer keeps the records and
    // retries them until its delivery timeout (2 minutes), far past the shutdown timeout. The health probe is
    // slowed down so that the publishes are taken (and wait) rather than refused at once as "Kafka down".
    int kafkaPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      kafkaPort = s.getLocalPort();
    }
    java.nio.file.Path data = java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("target"), "gone-broker");
    io.tidegate.embedded.EmbeddedKafka broker = new io.tidegate.embedded.EmbeddedKafka(kafkaPort, data).start();
    String topic = uniqueTopic("noack");
    try (org.apache.kafka.clients.admin.Admin own = org.apache.kafka.clients.admin.Admin.create(
        Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
      own.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 1, (short) 1))).all()
          .get(60, TimeUnit.SECONDS);
    }
    java.nio.file.Path config = java.nio.file.Files.writeString(java.nio.file.Files.createTempFile(
        java.nio.file.Path.of("target"), "noack", ".json"), new JsonObject()
        .put("health", new JsonObject().put("probeIntervalMs", 600_000).put("probeTimeoutMs", 600_000)).encode());
    GatewayProcess gw = GatewayProcess.start(Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
        "TIDEGATE_CONFIG", config.toString(), "TIDEGATE_PUBLISH_TIMEOUT_MS", "60000",
        "TIDEGATE_SHUTDOWN_TIMEOUT_MS", "6000")).awaitReady();
    Awaits.until("the gateway publishes to the topic", Duration.ofSeconds(60), () -> gw.exchange("POST",
        "/topics/" + topic + "/records", "application/json", "{\"value\":\"first\"}").status() == 200);
    broker.stop();
    try {
      ExecutorService http = Executors.newFixedThreadPool(4);
      List<Future<Exchange>> answers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        String key = "k" + i;
        answers.add(http.submit(() -> gw.exchange("POST", "/topics/" + topic + "/records", "application/json",
            new JsonObject().put("value", key).encode(), "Idempotency-Key", key)));
      }
      WsClient ws = WsClient.connect(vertx, gw.port());
      for (int i = 0; i < 2; i++) {
        ws.send(new JsonObject().put("type", "publish").put("id", "w" + i).put("topic", topic).put("value", i));
      }
      Awaits.until("the 6 publishes wait for Kafka", Duration.ofSeconds(60), () -> waiting(gw) >= 6);
      long t0 = System.nanoTime();
      gw.terminate();
      for (Future<Exchange> f : answers) {
        Exchange e = f.get(60, TimeUnit.SECONDS);
        assertEquals(Exchange.Kind.ANSWERED, e.kind(), "answered, not cut: " + e);
        assertEquals(503, e.status(), e.toString());
        assertTrue(e.head().contains("Retry-After"), e.head());
        JsonObject problem = GatewayProcess.json(e);
        assertTrue(problem.getString("detail").contains("may still be written"), "says what the client needs: " + problem);
        assertTrue(problem.getString("detail").contains("Idempotency-Key"), "and what its Idempotency-Key is worth now");
      }
      for (int i = 0; i < 2; i++) {
        JsonObject error = ws.awaitType("error", "w" + i);
        assertEquals(503, error.getInteger("status"), error.encode());
      }
      assertEquals((short) 1012, ws.awaitClose());
      assertEquals(143, gw.awaitExit(Duration.ofSeconds(60)), gw.log());
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms < 6000 + 15_000, "the stop is bounded by shutdown.timeoutMs (took " + ms + " ms)");
      http.shutdown();
      ws.close();
    } finally {
      gw.close();
      broker.close();
    }
  }

  @Test
  void sigkillOfOneGatewayItsClientsResumeOnTheOtherWithNoGapAndNoDuplicate() throws Exception {
    String topic = uniqueTopic("kill");
    createTopic(topic, PARTITIONS);
    GatewayProcess gw = GatewayProcess.start(Map.of()).awaitReady();
    survivor.awaitReady();
    try (Load load = new Load(topic)) {
      Map<Integer, Long> start = endOffsets(topic);
      List<WsClient> subs = subscribe(gw, topic, start, 2);
      SseClient stream = SseClient.open(gw.url("/events?topic=" + topic));
      Awaits.until("the stream is subscribed", Duration.ofSeconds(30), () -> !stream.named("subscribed").isEmpty());
      load.start();
      Awaits.until("records flow", Duration.ofSeconds(60),
          () -> subs.stream().allMatch(c -> c.recordCount() > 100) && stream.records().size() > 100);
      gw.kill();
      gw.awaitExit(Duration.ofSeconds(30));
      for (WsClient c : subs) {
        c.awaitClose();
      }
      List<List<JsonObject>> before = new ArrayList<>();
      List<WsClient> again = new ArrayList<>();
      for (WsClient c : subs) {
        List<JsonObject> got = c.records();
        before.add(got);
        // the client's own positions: after the last record it got per partition, else where it started
        JsonObject at = new JsonObject();
        start.forEach((p, o) -> at.put(String.valueOf(p), o));
        got.forEach(r -> at.put(String.valueOf(r.getInteger("partition")), r.getLong("offset") + 1));
        WsClient n = WsClient.connect(vertx, survivor.port());
        n.send(new JsonObject().put("type", "subscribe").put("id", "again").put("topics", new JsonArray().add(topic))
            .put("from", new JsonObject().put("offsets", new JsonObject().put(topic, at))));
        n.awaitType("subscribed", "again");
        again.add(n);
        c.close();
      }
      String lastId = stream.lastEventId();
      assertNotNull(lastId);
      stream.close();
      SseClient resumed = SseClient.open(survivor.url("/events?topic=" + topic), lastId);
      load.awaitMore(300);
      load.close();
      Map<Integer, Long> end = endOffsets(topic);
      long total = total(end, start);
      for (int i = 0; i < again.size(); i++) {
        WsClient n = again.get(i);
        long owed = total - before.get(i).size();
        Awaits.until("the resumed client has every record", Duration.ofSeconds(60), () -> n.recordCount() >= owed);
        List<JsonObject> all = new ArrayList<>(before.get(i));
        all.addAll(n.records());
        assertExactlyOnce("WebSocket client " + i, all, start, end);
        n.close();
      }
      List<JsonObject> sseBefore = stream.records();
      Awaits.until("the resumed stream has every record", Duration.ofSeconds(60),
          () -> resumed.records().size() >= total - sseBefore.size());
      List<JsonObject> all = new ArrayList<>(sseBefore);
      all.addAll(resumed.records());
      assertExactlyOnce("SSE client", all, start, end);
      resumed.close();
    } finally {
      gw.close();
    }
  }

  // ---- helpers ----

  private static List<WsClient> subscribe(GatewayProcess gw, String topic, Map<Integer, Long> start, int n) {
    JsonObject from = new JsonObject();
    start.forEach((p, o) -> from.put(String.valueOf(p), o));
    List<WsClient> subs = new CopyOnWriteArrayList<>();
    for (int i = 0; i < n; i++) {
      WsClient c = WsClient.connect(vertx, gw.port());
      c.send(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray().add(topic))
          .put("from", new JsonObject().put("offsets", new JsonObject().put(topic, from))));
      c.awaitType("subscribed", "s");
      subs.add(c);
    }
    return subs;
  }

  /** Per partition, the offsets in arrival order are exactly start, start + 1, ..., end - 1. */
  private static void assertExactlyOnce(String who, List<JsonObject> records, Map<Integer, Long> start,
      Map<Integer, Long> end) {
    Map<Integer, List<Long>> byPartition = new TreeMap<>();
    for (JsonObject r : records) {
      byPartition.computeIfAbsent(r.getInteger("partition"), p -> new ArrayList<>()).add(r.getLong("offset"));
    }
    for (int p = 0; p < PARTITIONS; p++) {
      List<Long> got = byPartition.getOrDefault(p, List.of());
      List<Long> expected = new ArrayList<>();
      for (long o = start.get(p); o < end.get(p); o++) {
        expected.add(o);
      }
      if (!got.equals(expected)) {
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        List<Long> twice = got.stream().filter(o -> !seen.add(o)).toList();
        List<Long> missing = expected.stream().filter(o -> !seen.contains(o)).toList();
        throw new AssertionError(who + ", partition " + p + ": expected offsets " + start.get(p) + ".." + (end.get(p) - 1)
            + " once each in order; missing " + missing + ", twice " + twice + " (" + got.size() + " received)");
      }
    }
  }

  private static long total(Map<Integer, Long> end, Map<Integer, Long> start) {
    long n = 0;
    for (int p = 0; p < PARTITIONS; p++) {
      n += end.get(p) - start.get(p);
    }
    return n;
  }

  private static Map<Integer, Long> endOffsets(String topic) throws Exception {
    Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      ask.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    return admin().listOffsets(ask).all().get(30, TimeUnit.SECONDS).entrySet().stream()
        .collect(Collectors.toMap(e -> e.getKey().partition(), e -> e.getValue().offset()));
  }

  /** The publishes waiting for Kafka's answer (the gateway's {@code /metrics}), or 0. */
  private static double waiting(GatewayProcess gw) {
    Exchange e = gw.exchange("GET", "/metrics", null, null);
    if (e.kind() != Exchange.Kind.ANSWERED) {
      return 0;
    }
    return e.body().lines().filter(l -> l.startsWith("tidegate_publish_waiting"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  /** Records written straight to Kafka, one every few milliseconds, until closed. */
  private static final class Load implements AutoCloseable {
    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger sent = new AtomicInteger();
    private Thread thread;

    Load(String topic) {
      this.topic = topic;
      this.producer = new KafkaProducer<>(Map.of("bootstrap.servers", KafkaBrokerExtension.bootstrapServers(),
          "linger.ms", 0), new ByteArraySerializer(), new ByteArraySerializer());
    }

    void start() {
      thread = new Thread(() -> {
        while (running.get()) {
          int n = sent.incrementAndGet();
          producer.send(new ProducerRecord<>(topic, ("k" + n).getBytes(StandardCharsets.UTF_8),
              ("{\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8)));
          try {
            Thread.sleep(2);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "load");
      thread.start();
    }

    /** Waits until {@code n} more records were sent. */
    void awaitMore(int n) {
      int from = sent.get();
      Awaits.until(n + " more records", Duration.ofSeconds(60), () -> sent.get() >= from + n);
    }

    @Override
    public void close() {
      running.set(false);
      try {
        if (thread != null) {
          thread.join(10_000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      producer.close();
    }
  }

  /** A WebSocket client publishing one record every few milliseconds, from the test's own thread. */
  private static final class WsPublisher {
    private final WsClient ws;
    private final Thread thread;
    /** Ids sent before the client had seen the draining frame: each of them must be answered. */
    private final List<String> owed = new CopyOnWriteArrayList<>();
    /** Those the gateway did not answer: none of them may be in Kafka. */
    List<String> unanswered = List.of();

    WsPublisher(WsClient ws, String topic) {
      this.ws = ws;
      this.thread = new Thread(() -> {
        int i = 0;
        while (ws.closeCode() == null) {
          if (ws.countType("draining") > 0) {
            return; // a client that heard draining stops publishing here
          }
          String id = "p" + i++;
          try {
            ws.socket().writeTextMessage(new JsonObject().put("type", "publish").put("id", id).put("topic", topic)
                .put("value", "ws:" + id).encode());
            owed.add(id);
          } catch (RuntimeException e) {
            return;
          }
          try {
            Thread.sleep(5);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "ws-publisher");
      thread.start();
    }

    void assertAllAnsweredBeforeTheClose() throws InterruptedException {
      assertEquals((short) 1012, ws.awaitClose());
      thread.join(10_000);
      Set<String> answered = ws.frames().stream().filter(f -> "ack".equals(f.getString("type"))
          || "error".equals(f.getString("type"))).map(f -> f.getString("id")).collect(Collectors.toSet());
      List<String> unanswered = owed.stream().filter(id -> !answered.contains(id)).toList();
      // A frame that crossed the gateway's close frame on the wire cannot be answered (RFC 6455: nothing after a
      // close); the gateway never read it, so it was not written. Every frame it read is answered.
      // Those are the last ones sent (after the close frame was on its way), never one before an answered one.
      int lastAnswered = -1;
      for (int i = 0; i < owed.size(); i++) {
        if (answered.contains(owed.get(i))) {
          lastAnswered = i;
        }
      }
      List<String> before = owed.subList(0, lastAnswered + 1).stream().filter(id -> !answered.contains(id)).toList();
      assertEquals(List.of(), before, "every publish the gateway read was answered; unanswered at the end: " + unanswered);
      this.unanswered = unanswered;
      assertTrue(ws.frames().stream().anyMatch(f -> "ack".equals(f.getString("type"))), "some were acknowledged");
      ws.close();
    }
  }
}
