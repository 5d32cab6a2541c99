package io.tidegate.bench;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The producer of the Node comparison phases in fanout.sh: {@code create BOOTSTRAP TOPIC} makes a 6-partition
 * topic; {@code produce BOOTSTRAP TOPIC RATE SECONDS} writes ~200-byte JSON records (the shape of the bare
 * broadcast's frames) at RATE/s round robin over the partitions, each stamped with the time it is sent.
 */
public final class RateProducer {
  private RateProducer() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[1];
    String topic = args[2];
    if (args[0].equals("create")) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        admin.createTopics(List.of(new NewTopic(topic, 6, (short) 1))).all().get();
      }
      return;
    }
    int rate = Integer.parseInt(args[3]);
    int secs = Integer.parseInt(args[4]);
    String pad = "n".repeat(120);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
        ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ACKS_CONFIG, "1"),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      long t0 = System.nanoTime();
      long total = (long) rate * secs;
      long sent = 0;
      while (sent < total) {
        long due = Math.min(total, (System.nanoTime() - t0) * rate / 1_000_000_000L + 1);
        for (; sent < due; sent++) {
          byte[] value = String.format(Locale.ROOT,
              "{\"id\":%d,\"type\":\"notification\",\"user\":\"user-000001\",\"pad\":\"%s\"}", sent, pad)
              .getBytes(StandardCharsets.UTF_8);
          producer.send(new ProducerRecord<>(topic, (int) (sent % 6), System.currentTimeMillis(), null, value));
        }
        // until the next record is due (not a fixed 1 ms: the producer shares the cores with what it measures)
        long nextDue = t0 + (sent * 1_000_000_000L) / rate;
        Thread.sleep(Math.max(1, (nextDue - System.nanoTime()) / 1_000_000));
      }
      producer.flush();
      System.out.println("produced " + sent);
    }
  }
}
