package io.tidegate.bench;

import io.tidegate.codec.RecordEncoder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The baseline of the webhook benchmark, in its own JVM (so its CPU and heap are its own): a plain Kafka
 * {@link KafkaConsumer} and the JDK's {@link HttpClient} doing what a webhook does with the same settings. Each
 * record is POSTed as the same record JSON (the gateway's own encoder, so the bytes are identical) with
 * {@code webhook-id}, {@code webhook-timestamp} and a Standard Webhooks HMAC-SHA256 signature; records of one key
 * in a partition go out one after the other in offset order, others in parallel; at most {@code maxInFlight}
 * records are held (sent or queued behind their key), past that the partitions pause; a poll brings at most that
 * many; offsets are committed every 500 ms below the lowest unfinished record. Every answer here is a 204, so
 * there are no retries to write. Everything but the HTTP client's I/O runs on the poll thread.
 *
 * <p>Commands on stdin, one per line: {@code run <topic> <group> <url>} (until the next command), {@code stop},
 * {@code exit}. It prints {@code BASELINE READY}, then {@code STOPPED} after each stop.
 */
public final class WebhookBaseline {
  private static final long COMMIT_EVERY_MS = 500;

  private final String bootstrap;
  private final int maxInFlight;
  private final Mac mac;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(10)).build();
  private volatile boolean running;

  private WebhookBaseline(String bootstrap, int maxInFlight, byte[] key) throws Exception {
    this.bootstrap = bootstrap;
    this.maxInFlight = maxInFlight;
    this.mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
  }

  /** args: bootstrap maxInFlight base64-key */
  public static void main(String[] args) throws Exception {
    WebhookBaseline b = new WebhookBaseline(args[0], Integer.parseInt(args[1]), Base64.getDecoder().decode(args[2]));
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    System.out.println("BASELINE READY");
    Thread loop = null;
    for (String line; (line = in.readLine()) != null; ) {
      String[] cmd = line.trim().split(" ");
      if (cmd[0].equals("run")) {
        b.running = true;
        String topic = cmd[1];
        String group = cmd[2];
        URI url = URI.create(cmd[3]);
        loop = new Thread(() -> b.run(topic, group, url), "baseline-poll");
        loop.start();
      } else if (cmd[0].equals("stop") && loop != null) {
        b.running = false;
        loop.join();
        loop = null;
        System.out.println("STOPPED");
      } else if (cmd[0].equals("exit")) {
        break;
      }
    }
    System.exit(0);
  }

  /** One partition: unfinished offsets and, per key, the records waiting behind the one being sent. */
  private static final class Ledger {
    final TreeSet<Long> pending = new TreeSet<>();
    final Map<ByteBuffer, ArrayDeque<ConsumerRecord<byte[], byte[]>>> byKey = new HashMap<>();
    long next = -1;
    long committed = -1;

    long toCommit() {
      long c = pending.isEmpty() ? next : pending.first();
      return c > committed ? c : -1;
    }
  }

  private void run(String topic, String group, URI url) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxInFlight);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    Map<TopicPartition, Ledger> ledgers = new HashMap<>();
    ConcurrentLinkedQueue<ConsumerRecord<byte[], byte[]>> done = new ConcurrentLinkedQueue<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> tps) {
          tps.forEach(ledgers::remove);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> tps) {}
      });
      int held = 0;
      boolean paused = false;
      long lastCommit = System.currentTimeMillis();
      while (running) {
        try {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
            Ledger l = ledgers.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), tp -> new Ledger());
            l.pending.add(r.offset());
            l.next = Math.max(l.next, r.offset() + 1);
            held++;
            ArrayDeque<ConsumerRecord<byte[], byte[]>> q = l.byKey.computeIfAbsent(ByteBuffer.wrap(r.key()), k -> new ArrayDeque<>());
            q.add(r);
            if (q.size() == 1) {
              send(consumer, r, url, done);
            }
          }
        } catch (WakeupException e) {
          // an answer arrived: handled below
        }
        for (ConsumerRecord<byte[], byte[]> r; (r = done.poll()) != null; ) {
          Ledger l = ledgers.get(new TopicPartition(r.topic(), r.partition()));
          if (l == null) {
            continue;
          }
          held--;
          l.pending.remove(r.offset());
          ByteBuffer k = ByteBuffer.wrap(r.key());
          ArrayDeque<ConsumerRecord<byte[], byte[]>> q = l.byKey.get(k);
          q.poll();
          if (q.isEmpty()) {
            l.byKey.remove(k);
          } else {
            send(consumer, q.peek(), url, done);
          }
        }
        if (!paused && held >= maxInFlight) {
          consumer.pause(consumer.assignment());
          paused = true;
        } else if (paused && held < maxInFlight) {
          consumer.resume(consumer.assignment());
          paused = false;
        }
        long now = System.currentTimeMillis();
        if (now - lastCommit >= COMMIT_EVERY_MS) {
          lastCommit = now;
          commit(consumer, ledgers, false);
        }
      }
      commit(consumer, ledgers, true);
    } catch (Exception e) {
      e.printStackTrace();
    }
  }

  private static void commit(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Ledger> ledgers, boolean sync) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    ledgers.forEach((tp, l) -> {
      long c = l.toCommit();
      if (c >= 0) {
        offsets.put(tp, new OffsetAndMetadata(c));
        l.committed = c;
      }
    });
    if (offsets.isEmpty()) {
      return;
    }
    if (sync) {
      for (int i = 0; i < 3; i++) {
        try {
          consumer.commitSync(offsets);
          return;
        } catch (WakeupException e) {
          // a late answer's wake-up: commit again
        }
      }
    } else {
      consumer.commitAsync(offsets, null);
    }
  }

  /** Synchronized only for the rare send again from the HTTP client's thread; otherwise the poll thread's alone. */
  private synchronized String sign(String id, long ts, byte[] body) {
    mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
    return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
  }

  private void send(KafkaConsumer<byte[], byte[]> consumer, ConsumerRecord<byte[], byte[]> r, URI url,
      ConcurrentLinkedQueue<ConsumerRecord<byte[], byte[]>> done) {
    byte[] body = RecordEncoder.encode(r, null);
    String id = r.topic() + "-" + r.partition() + "-" + r.offset();
    long ts = System.currentTimeMillis() / 1000;
    String signature = sign(id, ts, body);
    HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json").header("webhook-id", id)
        .header("webhook-timestamp", String.valueOf(ts)).header("webhook-signature", signature)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((resp, e) -> {
      if (e != null || resp.statusCode() / 100 != 2) {
        // the benchmark's receiver always answers 204: anything else is reported, and the record sent again
        System.err.println("baseline: " + (e != null ? e : "HTTP " + resp.statusCode()) + " for " + id);
        send(consumer, r, url, done);
        return;
      }
      done.add(r);
      consumer.wakeup();
    });
  }
}
