package io.tidegate.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Loads {@code conf/config.json} (or the file named by {@code TIDEGATE_CONFIG}) with vertx-config,
 * lays the environment over it and validates the result once.
 */
public final class ConfigLoader {

  public static final String CONFIG_FILE_ENV = "TIDEGATE_CONFIG";
  static final String DEFAULT_FILE = "conf/config.json";

  /** Environment variables with a fixed meaning, mapped to their dotted key. */
  static final Map<String, String> ENV_KEYS = Map.ofEntries(
      Map.entry("TIDEGATE_HTTP_HOST", "http.host"),
      Map.entry("TIDEGATE_HTTP_ALLOWED_ORIGINS", "http.allowedOrigins"),
      Map.entry("TIDEGATE_HTTP_TLS_CERT_PATH", "http.tls.certPath"),
      Map.entry("TIDEGATE_HTTP_TLS_KEY_PATH", "http.tls.keyPath"),
      Map.entry("TIDEGATE_HTTP_TLS_CLIENT_CA_PATH", "http.tls.clientCaPath"),
      Map.entry("TIDEGATE_HTTP_TLS_CLIENT_AUTH", "http.tls.clientAuth"),
      Map.entry("TIDEGATE_AUTH_CERTIFICATE_ROLES", "auth.certificateRoles"),
      Map.entry("TIDEGATE_AUTH_MODE", "auth.mode"),
      Map.entry("TIDEGATE_AUTH_ALLOW_ANONYMOUS", "auth.allowAnonymous"),
      Map.entry("TIDEGATE_AUTH_JWT_SECRET", "auth.jwt.secret"),
      Map.entry("TIDEGATE_AUTH_JWT_JWKS_URL", "auth.jwt.jwksUrl"),
      Map.entry("TIDEGATE_AUTH_JWT_ISSUER", "auth.jwt.issuer"),
      Map.entry("TIDEGATE_AUTH_JWT_AUDIENCE", "auth.jwt.audience"),
      Map.entry("TIDEGATE_HTTP_PORT", "http.port"),
      Map.entry("TIDEGATE_HTTP_INSTANCES", "http.instances"),
      Map.entry("TIDEGATE_MAX_BODY_BYTES", "http.maxBodyBytes"),
      Map.entry("TIDEGATE_LIMITS_MAX_CONNECTIONS", "limits.maxConnections"),
      Map.entry("TIDEGATE_LIMITS_MAX_CONNECTIONS_PER_SUBJECT", "limits.maxConnectionsPerSubject"),
      Map.entry("TIDEGATE_LIMITS_PUBLISH_RECORDS_PER_SECOND", "limits.publishRecordsPerSecond"),
      Map.entry("TIDEGATE_LIMITS_PUBLISH_BYTES_PER_SECOND", "limits.publishBytesPerSecond"),
      Map.entry("TIDEGATE_AUTH_STAMP_HEADER", "auth.stampHeader"),
      Map.entry("KAFKA_BOOTSTRAP_SERVERS", "kafka.bootstrapServers"),
      Map.entry("TIDEGATE_AUTO_CREATE_TOPICS", "kafka.autoCreateTopics"),
      Map.entry("TIDEGATE_KAFKA_REQUEST_TIMEOUT_MS", "kafka.requestTimeoutMs"),
      Map.entry("TIDEGATE_EMBEDDED_KAFKA_PORT", "embedded.port"),
      Map.entry("TIDEGATE_DATA_DIR", "embedded.dataDir"),
      Map.entry("TIDEGATE_PUBLISH_TIMEOUT_MS", "publish.timeoutMs"),
      Map.entry("TIDEGATE_SHUTDOWN_TIMEOUT_MS", "shutdown.timeoutMs"),
      Map.entry("TIDEGATE_WEBHOOKS_ALLOWED_HOSTS", "webhooks.allowedHosts"));

  /** Kafka client settings pass through as TIDEGATE_KAFKA_PRODUCER_LINGER_MS=5 → kafka.producer.linger.ms. */
  private static final Map<String, String> ENV_PREFIXES = Map.of(
      "TIDEGATE_KAFKA_PRODUCER_", "kafka.producer",
      "TIDEGATE_KAFKA_CONSUMER_", "kafka.consumer",
      "TIDEGATE_KAFKA_ADMIN_", "kafka.admin");

  private ConfigLoader() {}

  /** Reads, merges and validates; fails with a {@link ConfigException} naming the key at fault. */
  public static Future<TidegateConfig> load(Vertx vertx, Map<String, String> env) {
    String file = env.getOrDefault(CONFIG_FILE_ENV, DEFAULT_FILE);
    boolean explicit = env.containsKey(CONFIG_FILE_ENV);
    if (explicit && !Files.isRegularFile(Path.of(file))) {
      return Future.failedFuture(new ConfigException(CONFIG_FILE_ENV, "no such file: " + file));
    }
    var options = new ConfigRetrieverOptions().setScanPeriod(0).setIncludeDefaultStores(false)
        .addStore(new ConfigStoreOptions().setType("file").setFormat("json").setOptional(true)
            .setConfig(new JsonObject().put("path", file)));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig()
        .eventually(() -> {
          retriever.close();
          return Future.succeededFuture();
        })
        .recover(e -> Future.failedFuture(new ConfigException(file, "cannot be read as JSON: " + e.getMessage())))
        .map(fromFile -> ConfigParser.parse(overlay(fromFile, env)));
  }

  /** The file's tree with the environment laid over it. */
  static JsonObject overlay(JsonObject fromFile, Map<String, String> env) {
    JsonObject merged = fromFile.copy();
    env.forEach((name, value) -> {
      String key = ENV_KEYS.get(name);
      if (key == null) {
        key = ENV_PREFIXES.entrySet().stream()
            .filter(p -> name.startsWith(p.getKey()) && name.length() > p.getKey().length())
            .map(p -> p.getValue() + "." + name.substring(p.getKey().length()).toLowerCase(Locale.ROOT).replace('_', '.'))
            .findFirst().orElse(null);
      }
      if (key == null) {
        if (name.startsWith("TIDEGATE_") && !name.equals(CONFIG_FILE_ENV)) {
          throw new ConfigException(name, "unknown environment setting (known: " + new java.util.TreeSet<>(ENV_KEYS.keySet())
              + " and TIDEGATE_KAFKA_{PRODUCER,CONSUMER,ADMIN}_*)");
        }
        return;
      }
      put(merged, key, value);
    });
    return merged;
  }

  private static void put(JsonObject root, String dotted, String value) {
    // The first two segments name the section; Kafka property names keep their dots.
    String[] parts = dotted.startsWith("kafka.producer.") || dotted.startsWith("kafka.consumer.") || dotted.startsWith("kafka.admin.")
        ? new String[] {"kafka", dotted.split("\\.")[1], dotted.substring(dotted.indexOf('.', 6) + 1)}
        : dotted.split("\\.");
    JsonObject node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      Object next = node.getValue(parts[i]);
      if (!(next instanceof JsonObject)) {
        next = new JsonObject();
        node.put(parts[i], next);
      }
      node = (JsonObject) next;
    }
    node.put(parts[parts.length - 1], value);
  }
}
