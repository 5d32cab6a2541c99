package io.tidegate.config;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Turns the merged configuration tree (file, then environment) into a validated {@link TidegateConfig}.
 * Every rejected value names its key; unknown keys are rejected too, since they are nearly always typos.
 */
public final class ConfigParser {

  /** Producer settings the gateway uses unless told otherwise. */
  static final Map<String, String> PRODUCER_DEFAULTS = Map.of(
      ProducerConfig.ACKS_CONFIG, "all",
      ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
      // Clients wait on each request's acknowledgement: linger briefly. Batch publishers batch in the request.
      ProducerConfig.LINGER_MS_CONFIG, "1",
      ProducerConfig.BATCH_SIZE_CONFIG, "131072",
      ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");

  private static final Set<String> SECTIONS = Set.of("http", "kafka", "embedded", "publish", "health", "ws", "sse", "limits", "shutdown", "auth",
      "webhooks");

  private ConfigParser() {}

  public static TidegateConfig parse(JsonObject root) {
    Reader r = new Reader(root);
    r.onlyKeys("", SECTIONS);
    r.onlyKeys("http", Set.of("host", "port", "instances", "maxBodyBytes", "idleTimeoutSeconds", "allowedOrigins",
        "tls"));
    r.onlyKeys("kafka", Set.of("bootstrapServers", "autoCreateTopics", "defaultPartitions",
        "defaultReplicationFactor", "requestTimeoutMs", "producer", "consumer", "admin"));
    r.onlyKeys("embedded", Set.of("port", "dataDir"));
    r.onlyKeys("publish", Set.of("timeoutMs", "idempotencyMaxRecords", "idempotencyWindowSeconds",
        "historyMaxConcurrent", "historyMaxLimit"));
    r.onlyKeys("health", Set.of("probeIntervalMs", "probeTimeoutMs"));
    r.onlyKeys("shutdown", Set.of("timeoutMs"));
    r.onlyKeys("ws", Set.of("maxFrameBytes", "budgetBytes", "maxCatchUps", "maxGroupMembers", "perMessageDeflate",
        "pingSeconds", "stallSeconds", "tailBytes", "tailLingerSeconds"));
    r.onlyKeys("sse", Set.of("heartbeatSeconds"));
    r.onlyKeys("limits", Set.of("maxConnections", "maxSubscriptionsPerSocket", "maxTopicsPerSubscribe",
        "maxConnectionsPerSubject", "publishRecordsPerSecond", "publishBytesPerSecond"));

    int cores = Runtime.getRuntime().availableProcessors();
    var auth = AuthConfigParser.parse(r);
    var http = new TidegateConfig.Http(
        AuthConfigParser.host(r, auth),
        (int) r.integer("http.port", 8080, 0, 65535),
        (int) r.integer("http.instances", cores, 1, 64),
        r.integer("http.maxBodyBytes", 1024 * 1024, 1, Integer.MAX_VALUE),
        (int) r.integer("http.idleTimeoutSeconds", 120, 1, 24 * 3600),
        AuthConfigParser.origins(r),
        TlsConfigParser.parse(r, auth));

    Optional<String> bootstrap = Optional.of(r.string("kafka.bootstrapServers", "").trim()).filter(s -> !s.isEmpty());
    var kafka = new TidegateConfig.Kafka(
        bootstrap,
        r.bool("kafka.autoCreateTopics", false),
        (int) r.integer("kafka.defaultPartitions", 1, 1, 100_000),
        (short) r.integer("kafka.defaultReplicationFactor", -1, -1, Short.MAX_VALUE),
        Duration.ofMillis(r.integer("kafka.requestTimeoutMs", 5000, 100, 600_000)),
        producer(r),
        clientProps(r, "kafka.consumer", ConsumerConfig.configNames(), Map.of()),
        clientProps(r, "kafka.admin", AdminClientConfig.configNames(), Map.of()));

    var embedded = new TidegateConfig.Embedded(
        (int) r.integer("embedded.port", 9092, 0, 65535),
        Path.of(r.string("embedded.dataDir", "./data")));

    var publish = new TidegateConfig.Publish(
        Duration.ofMillis(r.integer("publish.timeoutMs", 10_000, 100, 600_000)),
        r.integer("publish.idempotencyMaxRecords", 100_000, 0, 100_000_000),
        Duration.ofSeconds(r.integer("publish.idempotencyWindowSeconds", 300, 1, 7 * 24 * 3600)),
        (int) r.integer("publish.historyMaxConcurrent", 8, 1, 1024),
        (int) r.integer("publish.historyMaxLimit", 1000, 1, 100_000));

    var health = new TidegateConfig.Health(
        Duration.ofMillis(r.integer("health.probeIntervalMs", 2000, 100, 600_000)),
        Duration.ofMillis(r.integer("health.probeTimeoutMs", 2000, 100, 600_000)));

    var ws = new TidegateConfig.Ws(
        (int) r.integer("ws.maxFrameBytes", 1024 * 1024, 128, 64 * 1024 * 1024),
        (int) r.integer("ws.budgetBytes", 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
        (int) r.integer("ws.maxCatchUps", 64, 1, 10_000),
        (int) r.integer("ws.maxGroupMembers", 256, 1, 10_000),
        r.bool("ws.perMessageDeflate", false),
        (int) r.integer("ws.pingSeconds", 30, 1, 3600),
        (int) r.integer("ws.stallSeconds", 10, 1, 3600),
        (int) r.integer("limits.maxSubscriptionsPerSocket", 100, 1, 100_000),
        (int) r.integer("limits.maxTopicsPerSubscribe", 100, 1, 10_000),
        r.integer("ws.tailBytes", 16L * 1024 * 1024, 0, 4L * 1024 * 1024 * 1024),
        (int) r.integer("ws.tailLingerSeconds", 30, 0, 3600));

    var sse = new TidegateConfig.Sse(Duration.ofSeconds(r.integer("sse.heartbeatSeconds", 15, 1, 3600)));

    var limits = new TidegateConfig.Limits((int) r.integer("limits.maxConnections", 50_000, 1, 10_000_000),
        (int) r.integer("limits.maxConnectionsPerSubject", 0, 0, 10_000_000),
        r.integer("limits.publishRecordsPerSecond", 0, 0, 1_000_000_000),
        r.integer("limits.publishBytesPerSecond", 0, 0, 1_000_000_000));

    Duration shutdown = Duration.ofMillis(r.integer("shutdown.timeoutMs", 15_000, 0, 600_000));
    return new TidegateConfig(http, kafka, embedded, publish, health, ws, sse, limits, auth, shutdown,
        WebhookConfigParser.parse(r));
  }

  private static Map<String, String> producer(Reader r) {
    Map<String, String> props = clientProps(r, "kafka.producer", ProducerConfig.configNames(), PRODUCER_DEFAULTS);
    if (props.containsKey(ProducerConfig.MAX_BLOCK_MS_CONFIG)) {
      throw new ConfigException("kafka.producer." + ProducerConfig.MAX_BLOCK_MS_CONFIG,
          "is managed by the gateway (it never lets the producer block an event loop); use publish.timeoutMs");
    }
    return props;
  }

  /** Reads a pass-through section, checks names against the client's own list and values with the client's own validation. */
  private static Map<String, String> clientProps(Reader r, String path, Set<String> known, Map<String, String> defaults) {
    Map<String, String> props = new LinkedHashMap<>(defaults);
    JsonObject section = r.object(path);
    for (String name : new TreeSet<>(section.fieldNames())) {
      Object v = section.getValue(name);
      if (!known.contains(name)) {
        throw new ConfigException(path + "." + name, "is not a Kafka " + path.substring(6) + " setting");
      }
      if (v instanceof JsonObject || v instanceof io.vertx.core.json.JsonArray) {
        throw new ConfigException(path + "." + name, "must be a string, number or boolean");
      }
      props.put(name, v == null ? "" : String.valueOf(v));
    }
    validateWithKafka(path, props);
    return Map.copyOf(props);
  }

  private static void validateWithKafka(String path, Map<String, String> props) {
    Properties p = new Properties();
    p.putAll(props);
    p.putIfAbsent("bootstrap.servers", "127.0.0.1:9092");
    try {
      switch (path) {
        case "kafka.producer" -> {
          p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
          p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
          new ProducerConfig(p);
        }
        case "kafka.consumer" -> {
          p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
          p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
          new ConsumerConfig(p);
        }
        default -> new AdminClientConfig(p);
      }
    } catch (org.apache.kafka.common.config.ConfigException e) {
      String name = e.getMessage() != null ? firstKnownName(e.getMessage(), props.keySet()) : null;
      throw new ConfigException(name == null ? path : path + "." + name, e.getMessage());
    }
  }

  private static String firstKnownName(String message, Set<String> names) {
    return names.stream().filter(n -> message.contains(" " + n)).findFirst().orElse(null);
  }

  /** Typed, validating access to dotted paths of the tree. */
  static final class Reader {
    private final JsonObject root;

    Reader(JsonObject root) {
      this.root = root;
    }

    private Object raw(String path) {
      JsonObject node = root;
      String[] parts = path.split("\\.");
      for (int i = 0; i < parts.length - 1; i++) {
        Object next = node.getValue(parts[i]);
        if (next == null) {
          return null;
        }
        if (!(next instanceof JsonObject obj)) {
          throw new ConfigException(String.join(".", java.util.Arrays.copyOf(parts, i + 1)), "must be an object");
        }
        node = obj;
      }
      return node.getValue(parts[parts.length - 1]);
    }

    JsonObject object(String path) {
      Object v = path.isEmpty() ? root : raw(path);
      if (v == null) {
        return new JsonObject();
      }
      if (v instanceof JsonObject obj) {
        return obj;
      }
      throw new ConfigException(path, "must be an object");
    }

    void onlyKeys(String path, Set<String> allowed) {
      for (String name : object(path).fieldNames()) {
        if (!allowed.contains(name)) {
          String key = path.isEmpty() ? name : path + "." + name;
          throw new ConfigException(key, "unknown setting (known here: " + new TreeSet<>(allowed) + ")");
        }
      }
    }

    String string(String path, String dflt) {
      Object v = raw(path);
      if (v == null) {
        return dflt;
      }
      if (v instanceof String s) {
        return s;
      }
      throw new ConfigException(path, "must be a string, got " + v);
    }

    long integer(String path, long dflt, long min, long max) {
      Object v = raw(path);
      long value;
      if (v == null) {
        value = dflt;
      } else if (v instanceof Integer || v instanceof Long) {
        value = ((Number) v).longValue();
      } else if (v instanceof String s && s.trim().matches("-?\\d{1,18}")) {
        value = Long.parseLong(s.trim());
      } else {
        throw new ConfigException(path, "must be a whole number, got '" + v + "'");
      }
      if (value < min || value > max) {
        throw new ConfigException(path, "must be between " + min + " and " + max + ", got " + value);
      }
      return value;
    }

    boolean bool(String path, boolean dflt) {
      Object v = raw(path);
      if (v == null) {
        return dflt;
      }
      if (v instanceof Boolean b) {
        return b;
      }
      if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
        return Boolean.parseBoolean(s);
      }
      throw new ConfigException(path, "must be true or false, got '" + v + "'");
    }
  }
}
