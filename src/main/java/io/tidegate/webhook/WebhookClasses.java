package io.tidegate.webhook;

import io.tidegate.codec.RecordEncoder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Loads the classes webhooks use while the gateway starts, on the starting thread: loading them the first time a
 * definition or a record arrives would read jar files on an event loop (hundreds of milliseconds on a busy disk).
 */
final class WebhookClasses {
  /** Classes reached only through vertx-kafka-client's and vertx-web-client's own code, named so no import needs them. */
  private static final List<String> LIBRARY_CLASSES = List.of(
      "io.vertx.kafka.client.consumer.impl.KafkaConsumerRecordImpl",
      "io.vertx.kafka.client.consumer.impl.KafkaConsumerRecordsImpl",
      "io.vertx.kafka.client.producer.impl.KafkaHeaderImpl",
      "io.vertx.kafka.client.producer.impl.KafkaProducerRecordImpl",
      "io.vertx.kafka.client.producer.impl.RecordMetadataImpl",
      "io.vertx.kafka.client.common.impl.Helper",
      "io.vertx.ext.web.client.impl.HttpRequestImpl",
      "io.vertx.ext.web.client.impl.HttpResponseImpl",
      "io.vertx.ext.web.client.impl.HttpContext",
      "io.vertx.ext.web.codec.impl.StreamingBodyCodec",
      // a redrive's: the first one runs on an event loop
      "io.tidegate.webhook.Redrive",
      "io.tidegate.webhook.DeadLetter",
      "io.tidegate.webhook.DeadLetter$Source",
      "io.tidegate.webhook.WebhookLag",
      "io.vertx.kafka.client.common.impl.PartitionInfoImpl",
      "io.vertx.kafka.client.consumer.impl.KafkaConsumerImpl",
      "org.apache.kafka.common.header.internals.RecordHeaders",
      "org.apache.kafka.common.record.TimestampType");

  private WebhookClasses() {}

  static void load(HostPatterns hosts) {
    ClassLoader loader = WebhookClasses.class.getClassLoader();
    for (String name : LIBRARY_CLASSES) {
      try {
        Class.forName(name, true, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        // a library renamed its class: it is loaded on first use instead
      }
    }
    String secret = "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[24]);
    JsonObject sample = new JsonObject().put("name", "warm-up").put("topics", new JsonArray().add("t"))
        .put("url", "http://localhost/").put("secret", secret).put("filter", new JsonObject().put("key", "k"))
        .put("backoff", new JsonObject().put("initialMs", 10).put("maxMs", 20));
    try {
      WebhookDefinition d = WebhookDefinition.parse(sample, hosts, true);
      d.disable("warm-up").toStored().toBuffer();
      d.recordFilter();
    } catch (RuntimeException e) {
      // localhost not allowed here: nothing to warm with it
    }
    ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>("t", 0, 0, "k".getBytes(StandardCharsets.UTF_8),
        "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
    byte[] body = RecordEncoder.encode(r, null);
    new Signature(secret).sign("t-0-0", 1, body);
    new PartitionLedger().toCommit();
    Backoff.delayMs(10, 20, 1, Sender.retryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT"));
    new Outcome(500, 0, "warm-up").statusTag();
    new CappedBody(8).write(io.vertx.core.buffer.Buffer.buffer("warm-up"));
    KafkaProducerRecord.create("t", new byte[0], new byte[0]).addHeader("h", "v");
    RecordEncoder.encode(new ConsumerRecord<>("t", 0, 0, 0L, org.apache.kafka.common.record.TimestampType.CREATE_TIME,
        -1, -1, r.key(), r.value(), new org.apache.kafka.common.header.internals.RecordHeaders(),
        java.util.Optional.empty()), null);
    new RedriveRun().toJson();
  }
}
