package io.tidegate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConfigParserTest {

  private static ConfigException rejected(JsonObject json) {
    return assertThrows(ConfigException.class, () -> ConfigParser.parse(json));
  }

  @Test
  void defaultsUseTheEmbeddedBrokerAndSafeProducerSettings() {
    TidegateConfig c = ConfigParser.parse(new JsonObject());
    assertEquals(8080, c.http().port());
    assertEquals(1024 * 1024, c.http().maxBodyBytes());
    assertTrue(c.usesEmbeddedKafka());
    assertEquals(9092, c.embedded().port());
    assertEquals("all", c.kafka().producer().get("acks"));
    assertEquals("true", c.kafka().producer().get("enable.idempotence"));
    assertEquals(Duration.ofSeconds(10), c.publish().timeout());
  }

  @Test
  void environmentOverridesTheFile() {
    JsonObject file = new JsonObject().put("http", new JsonObject().put("port", 9000))
        .put("kafka", new JsonObject().put("producer", new JsonObject().put("linger.ms", 20)));
    JsonObject merged = ConfigLoader.overlay(file, Map.of(
        "TIDEGATE_HTTP_PORT", "9100",
        "KAFKA_BOOTSTRAP_SERVERS", "broker:9092",
        "TIDEGATE_DATA_DIR", "/tmp/x",
        "TIDEGATE_KAFKA_PRODUCER_COMPRESSION_TYPE", "lz4",
        "PATH", "/usr/bin"));
    TidegateConfig c = ConfigParser.parse(merged);
    assertEquals(9100, c.http().port());
    assertEquals(Optional.of("broker:9092"), c.kafka().bootstrapServers());
    assertEquals("/tmp/x", c.embedded().dataDir().toString());
    assertEquals("lz4", c.kafka().producer().get("compression.type"));
    assertEquals("20", c.kafka().producer().get("linger.ms"), "the file's Kafka settings stay");
  }

  @Test
  void badValuesNameTheirKey() {
    assertEquals("http.port", rejected(new JsonObject().put("http", new JsonObject().put("port", "eighty"))).key());
    assertEquals("http.port", rejected(new JsonObject().put("http", new JsonObject().put("port", 70000))).key());
    assertEquals("kafka.autoCreateTopics",
        rejected(new JsonObject().put("kafka", new JsonObject().put("autoCreateTopics", "maybe"))).key());
    assertEquals("publish.timeoutMs", rejected(new JsonObject().put("publish", new JsonObject().put("timeoutMs", 1))).key());
    assertEquals("http", rejected(new JsonObject().put("http", 5)).key());
  }

  @Test
  void unknownKeysAreRejectedAsTypos() {
    assertEquals("http.prot", rejected(new JsonObject().put("http", new JsonObject().put("prot", 1))).key());
    assertEquals("htp", rejected(new JsonObject().put("htp", new JsonObject())).key());
    assertThrows(ConfigException.class, () -> ConfigLoader.overlay(new JsonObject(), Map.of("TIDEGATE_HTTP_PROT", "1")));
  }

  @Test
  void kafkaSettingsAreCheckedByKafkasOwnRules() {
    ConfigException badValue = rejected(new JsonObject().put("kafka", new JsonObject()
        .put("producer", new JsonObject().put("linger.ms", "soon"))));
    assertEquals("kafka.producer.linger.ms", badValue.key());
    ConfigException unknown = rejected(new JsonObject().put("kafka", new JsonObject()
        .put("consumer", new JsonObject().put("fetch.min.byte", 1))));
    assertEquals("kafka.consumer.fetch.min.byte", unknown.key());
    ConfigException compression = rejected(new JsonObject().put("kafka", new JsonObject()
        .put("producer", new JsonObject().put("compression.type", "zip"))));
    assertEquals("kafka.producer.compression.type", compression.key());
  }

  @Test
  void maxBlockIsTheGatewaysToManage() {
    ConfigException e = rejected(new JsonObject().put("kafka", new JsonObject()
        .put("producer", new JsonObject().put("max.block.ms", 60000))));
    assertEquals("kafka.producer.max.block.ms", e.key());
  }

  @Test
  void maxConnectionsDefaultsTo50000AndMustBePositive() {
    assertEquals(50_000, ConfigParser.parse(new JsonObject()).limits().maxConnections());
    assertEquals(50, ConfigParser.parse(new JsonObject().put("limits", new JsonObject().put("maxConnections", 50)))
        .limits().maxConnections());
    assertEquals("limits.maxConnections",
        rejected(new JsonObject().put("limits", new JsonObject().put("maxConnections", 0))).key());
  }

  @Test
  void perSubjectLimitsAndTheStampHeaderAreOffUnlessSet() {
    TidegateConfig d = ConfigParser.parse(new JsonObject());
    assertEquals(0, d.limits().maxConnectionsPerSubject());
    assertEquals(0, d.limits().publishRecordsPerSecond());
    assertEquals(0, d.limits().publishBytesPerSecond());
    assertEquals(null, d.auth().stampHeader());
    TidegateConfig c = ConfigParser.parse(ConfigLoader.overlay(new JsonObject(), Map.of(
        "TIDEGATE_LIMITS_MAX_CONNECTIONS_PER_SUBJECT", "20",
        "TIDEGATE_LIMITS_PUBLISH_RECORDS_PER_SECOND", "500",
        "TIDEGATE_LIMITS_PUBLISH_BYTES_PER_SECOND", "1048576",
        "TIDEGATE_AUTH_STAMP_HEADER", "tidegate-subject")));
    assertEquals(20, c.limits().maxConnectionsPerSubject());
    assertEquals(500, c.limits().publishRecordsPerSecond());
    assertEquals(1_048_576, c.limits().publishBytesPerSecond());
    assertEquals("tidegate-subject", c.auth().stampHeader());
    assertEquals("limits.publishBytesPerSecond",
        rejected(new JsonObject().put("limits", new JsonObject().put("publishBytesPerSecond", -1))).key());
    assertEquals("auth.stampHeader",
        rejected(new JsonObject().put("auth", new JsonObject().put("stampHeader", "who am i"))).key());
  }
}
