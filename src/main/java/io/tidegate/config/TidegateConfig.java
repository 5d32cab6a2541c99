package io.tidegate.config;


import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The whole gateway configuration, validated once at start-up. Immutable.
 *
 * @param http      the HTTP listener
 * @param kafka     how to reach Kafka and what to pass through to its clients
 * @param embedded  the in-process broker used when no bootstrap servers are configured
 * @param publish   publishing limits and guarantees
 * @param health    how Kafka's health is probed
 * @param shutdownTimeout how long a graceful stop may take before it is forced
 */
public record TidegateConfig(
    Http http,
    Kafka kafka,
    Embedded embedded,
    Publish publish,
    Health health,
    Ws ws,
    Sse sse,
    Limits limits,
    Auth auth,
    Duration shutdownTimeout,
    Webhooks webhooks) {

  /**
   * Webhooks ({@code webhooks.*}).
   *
   * @param topic        the compacted topic holding the definitions (its name starts with {@code __}: never served)
   * @param allowedHosts host patterns a webhook's url may name ({@code *.example.com}, {@code *} for any)
   * @param maxInFlight  records one webhook holds at once (being sent, waiting to retry, or queued behind their key)
   * @param maxWebhooks  definitions a gateway keeps; more are refused
   */
  public record Webhooks(String topic, java.util.List<String> allowedHosts, int maxInFlight, int maxWebhooks) {}

  /**
   * @param maxConnections open HTTP connections (WebSockets and SSE streams included) per gateway; more get 429
   * @param maxConnectionsPerSubject WebSockets and SSE streams one token subject may hold open; 0: no limit
   * @param publishRecordsPerSecond  records one subject may publish per second (token bucket); 0: no limit
   * @param publishBytesPerSecond    bytes (keys, values, headers) one subject may publish per second; 0: no limit
   */
  public record Limits(int maxConnections, int maxConnectionsPerSubject, long publishRecordsPerSecond,
      long publishBytesPerSecond) {}

  /**
   * Identity and access.
   *
   * @param jwt            true: every client needs a valid token ({@code auth.mode} jwt); false: mode none
   * @param allowAnonymous with mode none, whether the gateway may listen on other interfaces than the loopback
   * @param roles          role name (a value of the token's {@code roles} claim) to its permissions
   * @param stampHeader    header every published record carries with its publisher's subject; null: none
   * @param certificateRoles roles of {@code roles} given to every client identified by its TLS certificate
   * @param handshakeSeconds a WebSocket opened without a token must send a valid {@code auth} frame within this
   * @param clockSkewSeconds tolerance on {@code exp} and {@code nbf}; a connection's token lapses at exp + skew
   */
  public record Auth(boolean jwt, boolean allowAnonymous, String secret, java.util.List<Key> publicKeys,
      String jwksUrl, String issuer, String audience, long jwksMinIntervalSeconds,
      Map<String, io.vertx.core.json.JsonObject> roles, String stampHeader, java.util.List<String> certificateRoles,
      int handshakeSeconds, int clockSkewSeconds) {

    /** A PEM public key and the algorithm it verifies. */
    public record Key(String algorithm, String pem) {}

    /** Secrets are never printed. */
    @Override
    public String toString() {
      return "Auth[jwt=" + jwt + ", allowAnonymous=" + allowAnonymous + ", secret=" + (secret == null ? "none" : "***")
          + ", publicKeys=" + publicKeys.size() + ", jwksUrl=" + jwksUrl + ", issuer=" + issuer + ", audience="
          + audience + ", roles=" + roles.keySet() + ", stampHeader=" + stampHeader + ", certificateRoles="
          + certificateRoles + ", handshakeSeconds=" + handshakeSeconds + ", clockSkewSeconds=" + clockSkewSeconds + "]";
    }
  }

  /**
   * Streaming clients (WebSocket, and SSE for the budget and limits).
   *
   * @param maxFrameBytes largest message a client may send; larger closes the socket with 1009
   * @param budgetBytes   outbound bytes a client may have queued; a live record that does not fit waits (the
   *                      subscription falls behind the feed and catches up from Kafka once the client drains)
   * @param maxCatchUps   subscriptions reading the past at once (each holds a Kafka consumer)
   * @param perMessageDeflate whether sockets may negotiate compression: off by default, since it deflates every
   *                          frame once per socket rather than once per record
   * @param pingSeconds   how often every socket is pinged; one that answers no ping for two intervals is closed
   * @param stallSeconds  a client a budget behind that takes no byte for this long is closed with 1013
   * @param maxSubscriptionsPerSocket topics one socket may be subscribed to at once ({@code limits.*})
   * @param maxTopicsPerSubscribe     topics one subscribe (or one SSE request) may name ({@code limits.*})
   * @param tailBytes     per event loop, the recent live records kept (estimated bytes; the records are shared by
   *                      the loops) from which a subscription that starts at offsets within them catches up with
   *                      no Kafka read; 0 keeps none
   * @param tailLingerSeconds how long the live feed keeps reading a topic after its last subscriber left, so that
   *                      clients that come back (a reconnect storm) find its recent records in memory
   */
  public record Ws(int maxFrameBytes, int budgetBytes, int maxCatchUps, int maxGroupMembers, boolean perMessageDeflate,
      int pingSeconds, int stallSeconds, int maxSubscriptionsPerSocket, int maxTopicsPerSubscribe, long tailBytes,
      int tailLingerSeconds) {}

  /** Server-Sent Events: a comment line every {@code heartbeat} keeps idle streams open through proxies. */
  public record Sse(Duration heartbeat) {}

  /**
   * @param host         interface to bind
   * @param port         port to bind (0 picks a free one)
   * @param instances    HTTP verticle instances (event loops serving HTTP)
   * @param maxBodyBytes largest request body accepted; larger answers 413 while reading
   * @param idleTimeoutSeconds an HTTP connection idle this long is closed (WebSockets are kept by pings instead)
   */
  public record Http(String host, int port, int instances, long maxBodyBytes, int idleTimeoutSeconds,
      java.util.List<String> allowedOrigins, Optional<Tls> tls) {}

  /**
   * TLS on the listener ({@code http.tls.*}), read and checked at start-up. HTTP/2 and HTTP/1.1 are both offered
   * through ALPN.
   *
   * @param certPem     the server's certificate, followed by its chain if any (PEM)
   * @param keyPem      the private key of the first certificate (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC)
   * @param clientCaPem the CAs that client certificates must be issued by (PEM); null: none are asked for
   * @param clientAuth  whether a client certificate is asked for, and whether one is required
   */
  public record Tls(String certPem, String keyPem, String clientCaPem, ClientAuth clientAuth) {

    /** {@code http.tls.clientAuth}. */
    public enum ClientAuth { NONE, REQUEST, REQUIRED }

    /** The key is never printed. */
    @Override
    public String toString() {
      return "Tls[key=***, clientCa=" + (clientCaPem != null) + ", clientAuth=" + clientAuth + "]";
    }
  }

  /**
   * @param bootstrapServers  the cluster; empty means the embedded broker
   * @param autoCreateTopics  whether publishing to an unknown topic creates it
   * @param defaultPartitions partitions of a topic the gateway creates without being told
   * @param defaultReplicationFactor replication factor likewise (-1: the broker's default)
   * @param requestTimeout    bound on every admin call (topic lookups, listing, health)
   * @param producer          pass-through producer properties (kafka.producer.*)
   * @param consumer          pass-through consumer properties (kafka.consumer.*)
   * @param admin             pass-through admin properties (kafka.admin.*)
   */
  public record Kafka(
      Optional<String> bootstrapServers,
      boolean autoCreateTopics,
      int defaultPartitions,
      short defaultReplicationFactor,
      Duration requestTimeout,
      Map<String, String> producer,
      Map<String, String> consumer,
      Map<String, String> admin) {}

  /**
   * @param port    PLAINTEXT listener port on 127.0.0.1
   * @param dataDir where the broker keeps its logs (kept across restarts)
   */
  public record Embedded(int port, Path dataDir) {}

  /**
   * @param timeout             longest wait for Kafka's acknowledgement before answering 503
   * @param idempotencyMaxRecords records whose Idempotency-Key results are remembered at most (weighed per record)
   * @param idempotencyWindow   how long an Idempotency-Key result is remembered
   * @param historyMaxConcurrent history reads running at once; more answer 503
   * @param historyMaxLimit     largest page of history one request may ask for
   */
  public record Publish(
      Duration timeout,
      long idempotencyMaxRecords,
      Duration idempotencyWindow,
      int historyMaxConcurrent,
      int historyMaxLimit) {}

  /**
   * @param probeInterval how often Kafka is asked whether it is there
   * @param probeTimeout  how long one probe may take
   */
  public record Health(Duration probeInterval, Duration probeTimeout) {}

  /** True when the gateway must start its own broker. */
  public boolean usesEmbeddedKafka() {
    return kafka.bootstrapServers().isEmpty();
  }
}
