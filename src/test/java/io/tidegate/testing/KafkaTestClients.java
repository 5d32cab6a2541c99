package io.tidegate.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Kafka's own clients, for checking what the gateway wrote. */
public final class KafkaTestClients {
  private KafkaTestClients() {}

  public static String uniqueTopic(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  public static Admin admin() {
    return Admin.create(Map.of("bootstrap.servers", KafkaBrokerExtension.bootstrapServers()));
  }

  public static void createTopic(String name, int partitions) {
    createTopic(name, partitions, Map.of());
  }

  public static void createTopic(String name, int partitions, Map<String, String> configs) {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs))).all().get();
      // The controller has the topic; wait until the broker serves every partition too (its metadata follows
      // the controller's a little later, and until then it answers "unknown topic").
      Map<TopicPartition, OffsetSpec> req = new java.util.HashMap<>();
      for (int p = 0; p < partitions; p++) {
        req.put(new TopicPartition(name, p), OffsetSpec.latest());
      }
      long deadline = System.currentTimeMillis() + 15_000;
      while (true) {
        try {
          admin.listOffsets(req).all().get();
          return;
        } catch (java.util.concurrent.ExecutionException e) {
          if (System.currentTimeMillis() > deadline) {
            throw e;
          }
          Thread.sleep(50);
        }
      }
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  /** Sum of the end offsets of every partition of the topic. */
  public static long endOffsetSum(String topic, int partitions) {
    try (Admin admin = admin()) {
      Map<TopicPartition, OffsetSpec> req = new java.util.HashMap<>();
      for (int p = 0; p < partitions; p++) {
        req.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      return admin.listOffsets(req).all().get().values().stream().mapToLong(i -> i.offset()).sum();
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  /** Reads the whole topic from the beginning with a plain consumer until {@code expected} records arrived. */
  public static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    Properties p = new Properties();
    p.put("bootstrap.servers", KafkaBrokerExtension.bootstrapServers());
    p.put("auto.offset.reset", "earliest");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(tps);
      c.seekToBeginning(tps);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      // one more short poll: anything beyond the expected count is a duplicate the test must see
      c.poll(Duration.ofMillis(300)).forEach(out::add);
    }
    return out;
  }
}
