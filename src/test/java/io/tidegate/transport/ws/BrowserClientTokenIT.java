package io.tidegate.transport.ws;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.Browser;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Jwts;
import io.tidegate.testing.KafkaBrokerExtension;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsProxy;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * tidegate.js in a real Chromium against a gateway in {@code auth.mode} jwt, with tokens signed in the test and
 * records written by a plain Kafka producer. The socket goes through a {@link WsProxy}, which records the token
 * of every handshake and plays the gateway's side of token expiry (error 401, close 1008) and of the {@code auth}
 * frame (accepted, or refused as by a gateway without it), so the client's side is checked whatever the gateway
 * under test does yet.
 */
@GatewayIT
class BrowserClientTokenIT {
  private static final String SECRET = "a-browser-client-test-secret-32-bytes+";
  static TestGateway gw;
  static Browser browser;
  static Vertx vertx;
  static KafkaProducer<byte[], byte[]> producer;
  WsProxy proxy;
  String topic;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(new JsonObject().put("auth", new JsonObject().put("mode", "jwt")
        .put("jwt", new JsonObject().put("secret", SECRET))));
    vertx = Vertx.vertx();
    browser = Browser.start();
    producer = new KafkaProducer<>(Map.of("bootstrap.servers", KafkaBrokerExtension.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  @AfterAll
  static void stop() {
    producer.close();
    if (browser != null) {
      browser.close();
    }
    gw.close();
    Awaits.result(vertx.close());
  }

  @BeforeEach
  void open() {
    topic = uniqueTopic("tok");
    createTopic(topic, 3);
    proxy = WsProxy.start(vertx, gw);
    // a page of the gateway's own origin that is not the dashboard: nothing else on it opens a socket
    browser.driver().get(gw.url("/health/live"));
  }

  @AfterEach
  void close() {
    browser.js("if (window.h && window.h.client) window.h.client.close();");
    proxy.close();
  }

  /** A token for {@code sub} allowed to read and write topics starting with "tok", valid for {@code seconds}. */
  private static String token(String sub, long seconds) {
    return Jwts.hs256(SECRET, Jwts.claims(sub, seconds).put("jti", java.util.UUID.randomUUID().toString())
        .put("tidegate", new JsonObject().put("subscribe", new JsonArray().add("tok*")).put("publish", new JsonArray().add("tok*"))));
  }

  /**
   * Creates {@code window.h.client} on the proxy's socket and the gateway's HTTP API. With {@code asFunction} its
   * token is a function that answers the given tokens in turn (the last one again once they run out) and counts
   * its calls in {@code h.calls}; otherwise the first token as a string. Subscribes to the test's topic from the
   * latest records; what arrives is in {@code h.got} as [partition, offset, n].
   */
  private void client(List<String> tokens, boolean asFunction) {
    client(tokens, asFunction, proxy.url());
  }

  private void client(List<String> tokens, boolean asFunction, String wsUrl) {
    String result = browser.js("return (async () => {"
        + "const { TidegateClient } = await import('/tidegate.js');"
        + "const h = window.h = { got: [], calls: 0, errors: [], authenticated: 0, tokens: arguments[0] };"
        + "const token = arguments[3] ? () => { const t = h.tokens[Math.min(h.calls, h.tokens.length - 1)]; h.calls++;"
        + "  return new Promise(r => setTimeout(() => r(t), 5)); } : h.tokens[0];"
        + "h.client = new TidegateClient({ url: arguments[1], httpBase: arguments[2], token,"
        + "  reconnect: { initialMs: 200, maxMs: 1000, factor: 2 } });"
        + "h.client.addEventListener('error', e => h.errors.push(e.detail.status));"
        + "h.client.addEventListener('authenticated', () => h.authenticated++);"
        + "try {"
        + "  h.sub = await h.client.subscribe(arguments[4], r => h.got.push([r.partition, r.offset, r.value.n]), { from: 'latest' });"
        + "  return 'subscribed';"
        + "} catch (e) { return 'failed: ' + e.message; }"
        + "})()", tokens, wsUrl, gw.url(""), asFunction, topic);
    assertEquals("subscribed", result, "the client subscribes with its token (HTTP look-ups carry it as a Bearer)");
  }

  private void produce(int from, int to) {
    try {
      for (int n = from; n < to; n++) {
        producer.send(new ProducerRecord<>(topic, ("k" + n).getBytes(StandardCharsets.UTF_8),
            new JsonObject().put("n", n).encode().getBytes(StandardCharsets.UTF_8)));
      }
      producer.flush();
    } catch (RuntimeException e) {
      throw new AssertionError(e);
    }
  }

  private long got() {
    return ((Number) browser.js("return window.h.got.length;")).longValue();
  }

  private long number(String expr) {
    return ((Number) browser.js("return " + expr + ";")).longValue();
  }

  /** Every record 0..n-1 arrived exactly once, and per partition the offsets follow each other. */
  private void assertEveryRecordOnce(int n) {
    browser.waitUntil("the client has all " + n + " records", Duration.ofSeconds(60), () -> got() >= n);
    Awaits.stays("the client has " + n + " records, no more", Duration.ofMillis(300), () -> got() == n);
    List<List<Number>> got = browser.js("return window.h.got;");
    Map<Long, Long> last = new HashMap<>();
    TreeSet<Long> ns = new TreeSet<>();
    for (List<Number> r : got) {
      long p = r.get(0).longValue();
      long o = r.get(1).longValue();
      if (last.containsKey(p)) {
        assertEquals(last.get(p) + 1, o, "offsets follow each other on partition " + p + ": nothing lost, nothing twice");
      }
      last.put(p, o);
      ns.add(r.get(2).longValue());
    }
    assertEquals(n, ns.size(), "every record once");
    assertEquals(0L, ns.first());
    assertEquals(n - 1L, ns.last());
    assertEquals(0L, number("window.h.sub.duplicates"));
  }

  @Test
  void theTokenFunctionIsAskedOnEveryConnectAndAnExpiredTokenCloseReconnectsWithANewTokenLosingNothing() {
    String first = token("alice", 300);
    String second = token("alice", 300);
    client(List.of(first, second), true);
    assertEquals(List.of(first), proxy.handshakeTokens(), "the socket carried the function's token");
    produce(0, 30);
    browser.waitUntil("the first 30 records arrived", Duration.ofSeconds(30), () -> got() >= 30);
    long callsBefore = number("window.h.calls");

    proxy.expireAll(); // the contract's expiry: error 401 with offsets, then close 1008
    produce(30, 60); // written while the socket is closed or reopening
    browser.waitUntil("the client reconnected", Duration.ofSeconds(30),
        () -> proxy.handshakeTokens().size() == 2 && proxy.openSockets() == 1);
    produce(60, 90);

    assertEveryRecordOnce(90);
    assertTrue(number("window.h.calls") > callsBefore, "the token function was asked again for the reconnect");
    assertEquals(List.of(first, second), proxy.handshakeTokens(), "the reconnect carried the new token");
    assertEquals(1L, number("window.h.client.reconnects"));
    assertTrue(browser.<List<Object>>js("return window.h.errors;").contains(401L), "the 401 was reported as an error event");
  }

  @Test
  void aTokenAboutToExpireIsReplacedOnTheOpenSocketWithAnAuthFrame() {
    proxy.authFrames(WsProxy.AuthFrames.ACCEPT);
    String shortLived = token("alice", 8); // asked again at half its life: about 4 s in
    String fresh = token("alice", 300);
    client(List.of(shortLived, fresh), true);
    produce(0, 20);
    browser.waitUntil("the gateway's answer to the auth frame arrived", Duration.ofSeconds(30),
        () -> number("window.h.authenticated") == 1);
    assertEquals(List.of(fresh), proxy.authTokens(), "the new token went in an auth frame");
    produce(20, 40);
    assertEveryRecordOnce(40);
    assertEquals(List.of(shortLived), proxy.handshakeTokens(), "no new handshake: the token was replaced in place");
    assertEquals(0L, number("window.h.client.reconnects"));
  }

  @Test
  void aGatewayThatRefusesTheAuthFrameGetsAReconnectWithTheNewTokenAndNothingIsLost() {
    proxy.authFrames(WsProxy.AuthFrames.REFUSE);
    String shortLived = token("alice", 8);
    String fresh = token("alice", 300);
    client(List.of(shortLived, fresh), true);
    produce(0, 20);
    browser.waitUntil("the client reconnected with the new token", Duration.ofSeconds(30),
        () -> proxy.handshakeTokens().size() == 2 && proxy.openSockets() == 1);
    produce(20, 40);
    assertEveryRecordOnce(40);
    assertEquals(List.of(fresh), proxy.authTokens(), "the new token was offered on the open socket first");
    assertEquals(List.of(shortLived, fresh), proxy.handshakeTokens(), "then the reconnect carried it");
    assertEquals(1L, number("window.h.client.reconnects"));
  }

  @Test
  void aStringTokenThatTheGatewayRefusesStopsTheClientInsteadOfRetryingIt() {
    client(List.of(token("alice", 300)), false);
    proxy.expireAll();
    browser.waitUntil("the client gave up", Duration.ofSeconds(30), () -> "closed".equals(browser.js("return window.h.client.state;")));
    Awaits.stays("no handshake with the refused token again", Duration.ofSeconds(2), () -> proxy.handshakeTokens().size() == 1);
  }

  @Test
  void anOperationTheTokenDoesNotAllowIsRefusedWith403ToTheCallerAndTheSocketStaysOpen() {
    client(List.of(token("alice", 300)), true);
    String forbidden = uniqueTopic("payroll");
    createTopic(forbidden, 1);
    Map<String, Object> publish = browser.js("return window.h.client.publish(arguments[0], { value: 1 })"
        + ".then(() => ({ ok: true }), e => ({ status: e.status, name: e.name }));", forbidden);
    assertEquals(Map.of("status", 403L, "name", "TidegateError"), publish, "the publish promise rejects with 403");
    Map<String, Object> subscribe = browser.js("return window.h.client.subscribe(arguments[0], () => {})"
        + ".then(() => ({ ok: true }), e => ({ status: e.status }));", forbidden);
    assertEquals(Map.of("status", 403L), subscribe, "the subscribe promise rejects with 403");
    Map<String, Object> me = browser.js("return window.h.client.fetch('/me').then(r => r.json());");
    assertEquals("alice", me.get("subject"), "client.fetch() carries the token");
    produce(0, 10);
    assertEveryRecordOnce(10);
    assertEquals("open", browser.js("return window.h.client.state;"));
    assertEquals(0L, number("window.h.client.reconnects"), "a 403 is not a reason to reconnect");
    assertEquals(List.of(proxy.handshakeTokens().get(0)), proxy.handshakeTokens());
  }

  @Test
  void theGatewayItselfAnswersTheClientsAuthFrameAndTheTokenIsReplacedInPlace() {
    String shortLived = token("alice", 8); // asked again at half its life: about 4 s in
    String fresh = token("alice", 300);
    client(List.of(shortLived, fresh), true, gw.url("/ws").replaceFirst("^http", "ws")); // no proxy in between
    produce(0, 20);
    browser.waitUntil("the gateway answered the auth frame with authenticated", Duration.ofSeconds(30),
        () -> number("window.h.authenticated") == 1);
    produce(20, 40);
    assertEveryRecordOnce(40);
    assertEquals(0L, number("window.h.client.reconnects"), "no reconnect: the gateway took the new token in place");
    assertEquals(2L, number("window.h.calls"), "the function was asked for the first token and the replacement");
  }
}
