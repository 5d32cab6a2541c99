package io.tidegate.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.Certs;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Jwts;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.core.net.KeyCertOptions;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * TLS from PEM files made in the test: HTTPS over HTTP/1.1 and HTTP/2 (ALPN), WSS, SSE over both, plain HTTP
 * refused on the TLS port, and client certificates from the configured CA as identities (a certificate from
 * another CA gets nothing).
 */
@GatewayIT
class TlsIT {
  private static final String SECRET = "a-tls-integration-test-secret-32-bytes+";
  static Certs.Issued serverCa;
  static Certs.Issued clientCa;
  static Certs.Issued device;
  static Certs.Issued stranger;
  static Certs.Issued nameless;
  static TestGateway gw;
  static String topic;
  static String token;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    serverCa = Certs.ca("tidegate-test-server-ca");
    Certs.Issued intermediate = Certs.intermediate(serverCa, "tidegate-test-intermediate");
    Certs.Issued server = Certs.server(intermediate, "gateway");
    clientCa = Certs.ca("tidegate-test-client-ca");
    device = Certs.client(clientCa, "CN=sensor-7,OU=devices,O=Acme");
    nameless = Certs.client(clientCa, "OU=devices,O=Acme");
    stranger = Certs.client(Certs.ca("someone-elses-ca"), "CN=sensor-7,OU=devices,O=Acme");
    topic = KafkaTestClients.uniqueTopic("tls.telemetry");
    KafkaTestClients.createTopic(topic, 1);
    gw = TestGateway.start(new JsonObject()
        .put("http", new JsonObject().put("tls", new JsonObject()
            // the chain, leaf first: clients trust the root only, so they need the intermediate from the server
            .put("certPath", Certs.concat("server-chain", server, intermediate).toString())
            .put("keyPath", server.keyPath().toString())
            .put("clientCaPath", clientCa.certPath().toString())))
        .put("auth", new JsonObject().put("mode", "jwt").put("jwt", new JsonObject().put("secret", SECRET))
            .put("roles", new JsonObject().put("device", new JsonObject()
                .put("publish", new JsonArray().add("tls.*")).put("subscribe", new JsonArray().add("tls.*"))))
            .put("certificateRoles", new JsonArray().add("device"))));
    token = Jwts.hs256(SECRET, Jwts.claims("alice", 600).put("tidegate", new JsonObject()
        .put("publish", new JsonArray().add("tls.*")).put("subscribe", new JsonArray().add("tls.*"))));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    gw.close();
    Awaits.result(vertx.close());
  }

  private static int port() {
    return gw.gateway().port();
  }

  private static String url(String path) {
    return "https://127.0.0.1:" + port() + path;
  }

  /** A client that trusts the test's server CA only, checks the host name, and offers {@code version} by ALPN. */
  private static WebClient client(HttpVersion version, Certs.Issued certificate) {
    WebClientOptions o = new WebClientOptions().setSsl(true).setVerifyHost(true).setUseAlpn(true)
        .setProtocolVersion(version).setTrustOptions(new PemTrustOptions().addCertPath(serverCa.certPath().toString()))
        .setConnectTimeout(10_000);
    if (certificate != null) {
      o.setKeyCertOptions(new PemKeyCertOptions().setCertPath(certificate.certPath().toString())
          .setKeyPath(certificate.keyPath().toString()));
    }
    return WebClient.create(vertx, o);
  }

  private static HttpResponse<Buffer> send(WebClient c, HttpMethod method, String path, JsonObject body,
      String... headers) {
    var r = c.requestAbs(method, url(path)).timeout(30_000);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      r.putHeader(headers[i], headers[i + 1]);
    }
    return Awaits.result(body == null ? r.send() : r.sendJsonObject(body));
  }

  private static JsonObject record(Object value) {
    return new JsonObject().put("records", new JsonArray().add(new JsonObject().put("value", value)));
  }

  @ParameterizedTest
  @EnumSource(value = HttpVersion.class, names = {"HTTP_1_1", "HTTP_2"})
  void publishAndReadOverHttps(HttpVersion version) {
    WebClient c = client(version, null);
    try {
      String value = "over-" + version;
      HttpResponse<Buffer> published = send(c, HttpMethod.POST, "/topics/" + topic + "/records", record(value),
          "Authorization", "Bearer " + token);
      assertEquals(200, published.statusCode(), published.bodyAsString());
      assertEquals(version, published.version(), "ALPN settles on what the client asked for");
      HttpResponse<Buffer> read = send(c, HttpMethod.GET, "/topics/" + topic + "/records?from=earliest&limit=1000",
          null, "Authorization", "Bearer " + token);
      assertEquals(200, read.statusCode(), read.bodyAsString());
      assertEquals(version, read.version());
      assertTrue(read.bodyAsString().contains(value), read.bodyAsString());
      HttpResponse<Buffer> health = send(c, HttpMethod.GET, "/health/ready", null);
      assertEquals(200, health.statusCode(), health.bodyAsString());
    } finally {
      c.close();
    }
  }

  @Test
  void aWebSocketOverTlsSubscribesAndReceivesARecord() {
    WebSocketClient wsc = vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true).setVerifyHost(true)
        .setTrustOptions(new PemTrustOptions().addCertPath(serverCa.certPath().toString())));
    List<String> frames = new ArrayList<>();
    WebSocket ws = Awaits.result(wsc.connect(new WebSocketConnectOptions().setSsl(true).setHost("127.0.0.1")
        .setPort(port()).setURI("/ws?access_token=" + token)));
    ws.textMessageHandler(t -> {
      synchronized (frames) {
        frames.add(t);
      }
    });
    try {
      Awaits.result(ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("id", "s")
          .put("topics", new JsonArray().add(topic)).put("from", "latest").encode()));
      Awaits.until("the subscription is confirmed (have " + copy(frames) + ")",
          () -> copy(frames).stream().anyMatch(f -> f.contains("\"subscribed\"")));
      WebClient c = client(HttpVersion.HTTP_1_1, null);
      assertEquals(200, send(c, HttpMethod.POST, "/topics/" + topic + "/records", record("over-wss"),
          "Authorization", "Bearer " + token).statusCode());
      c.close();
      Awaits.until("the record arrives over WSS (have " + copy(frames) + ")",
          () -> copy(frames).stream().map(JsonObject::new).anyMatch(f -> "record".equals(f.getString("type"))
              && "over-wss".equals(f.getValue("value"))));
    } finally {
      Awaits.result(ws.close());
      Awaits.result(wsc.close());
    }
    Awaits.until("the socket's session ends", () -> gw.gauge("tidegate.ws.sessions") == 0);
    Awaits.until("every connection is counted closed", () -> gw.gauge("tidegate.http.connections") == 0);
  }

  @Test
  void aWebSocketIdentifiedByItsCertificateGetsTheCertificatesPermissions() {
    WebSocketClient wsc = vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true).setVerifyHost(true)
        .setTrustOptions(new PemTrustOptions().addCertPath(serverCa.certPath().toString()))
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(device.certPath().toString())
            .setKeyPath(device.keyPath().toString())));
    List<String> frames = new ArrayList<>();
    WebSocket ws = Awaits.result(wsc.connect(new WebSocketConnectOptions().setSsl(true).setHost("127.0.0.1")
        .setPort(port()).setURI("/ws")));
    ws.textMessageHandler(t -> {
      synchronized (frames) {
        frames.add(t);
      }
    });
    try {
      Awaits.result(ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("id", "no")
          .put("topics", new JsonArray().add("orders.elsewhere")).encode()));
      Awaits.until("the subscription outside the role is refused (have " + copy(frames) + ")",
          () -> copy(frames).stream().map(JsonObject::new).anyMatch(f -> "error".equals(f.getString("type"))
              && Integer.valueOf(403).equals(f.getInteger("status"))));
      Awaits.result(ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("id", "yes")
          .put("topics", new JsonArray().add(topic)).encode()));
      Awaits.until("the subscription the role allows is confirmed (have " + copy(frames) + ")",
          () -> copy(frames).stream().map(JsonObject::new).anyMatch(f -> "subscribed".equals(f.getString("type"))));
    } finally {
      Awaits.result(ws.close());
      Awaits.result(wsc.close());
    }
  }

  @Test
  void requiredClientCertificatesKeepClientsWithoutOneOutEvenInModeNone() {
    Certs.Issued server = Certs.server(serverCa, "gateway-2");
    try (TestGateway open = TestGateway.start(new JsonObject().put("http", new JsonObject().put("tls", new JsonObject()
        .put("certPath", server.certPath().toString()).put("keyPath", server.keyPath().toString())
        .put("clientCaPath", clientCa.certPath().toString()).put("clientAuth", "required"))))) {
      String me = "https://127.0.0.1:" + open.gateway().port() + "/me";
      WebClient without = client(HttpVersion.HTTP_1_1, null);
      WebClient with = client(HttpVersion.HTTP_2, device);
      try {
        assertThrows(RuntimeException.class, () -> Awaits.result(without.getAbs(me).timeout(30_000).send()),
            "no certificate, no connection");
        HttpResponse<Buffer> r = Awaits.result(with.getAbs(me).timeout(30_000).send());
        assertEquals(200, r.statusCode(), r.bodyAsString());
        assertNull(r.bodyAsJsonObject().getString("subject"), "mode none: everyone is anonymous");
      } finally {
        without.close();
        with.close();
      }
    }
  }

  @Test
  void overTheConnectionLimitAnHttp2ConnectionGetsA429() {
    Certs.Issued server = Certs.server(serverCa, "gateway-3");
    try (TestGateway limited = TestGateway.start(new JsonObject()
        .put("http", new JsonObject().put("tls", new JsonObject()
            .put("certPath", server.certPath().toString()).put("keyPath", server.keyPath().toString())))
        .put("limits", new JsonObject().put("maxConnections", 1)))) {
      String health = "https://127.0.0.1:" + limited.gateway().port() + "/health/live";
      WebClient first = client(HttpVersion.HTTP_2, null);
      WebClient second = client(HttpVersion.HTTP_2, null);
      try {
        assertEquals(200, Awaits.result(first.getAbs(health).timeout(30_000).send()).statusCode());
        HttpResponse<Buffer> refused = Awaits.result(second.getAbs(health).timeout(30_000).send());
        assertEquals(HttpVersion.HTTP_2, refused.version());
        assertEquals(429, refused.statusCode(), refused.bodyAsString());
        assertEquals("1", refused.getHeader("Retry-After"));
      } finally {
        first.close();
        second.close();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = HttpVersion.class, names = {"HTTP_1_1", "HTTP_2"})
  void serverSentEventsOverHttpsReceiveARecord(HttpVersion version) {
    HttpClient hc = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setVerifyHost(true).setUseAlpn(true)
        .setProtocolVersion(version).setTrustOptions(new PemTrustOptions().addCertPath(serverCa.certPath().toString())));
    StringBuilder text = new StringBuilder();
    try {
      // the body handler is set as the response arrives, on its event loop: set later, from this thread, the
      // stream's first events (sent at once when the feed already reads the topic) could come before it and be lost
      HttpClientResponse response = Awaits.result(hc.request(new RequestOptions().setMethod(HttpMethod.GET)
              .setAbsoluteURI(url("/events?topic=" + topic + "&access_token=" + token)))
          .compose(req -> req.send()).map(r -> r.handler(b -> {
            synchronized (text) {
              text.append(b.toString(StandardCharsets.UTF_8));
            }
          })));
      assertEquals(200, response.statusCode());
      assertEquals(version, response.version());
      Awaits.until("the stream is subscribed (have " + copy(text) + ")", () -> copy(text).contains("event: subscribed"));
      String value = "sse-over-" + version;
      WebClient c = client(version, null);
      assertEquals(200, send(c, HttpMethod.POST, "/topics/" + topic + "/records", record(value),
          "Authorization", "Bearer " + token).statusCode());
      c.close();
      Awaits.until("the record arrives as an event (have " + copy(text) + ")",
          () -> copy(text).contains("event: record") && copy(text).contains(value));
      // the client drops the stream: over HTTP/2 a reset of that stream only, its connection staying open
      if (version == HttpVersion.HTTP_2) {
        Awaits.result(response.request().reset());
      } else {
        Awaits.result(response.request().connection().close());
      }
      Awaits.until("the gateway ends the stream's session", () -> gw.gauge("tidegate.sse.sessions") == 0);
    } finally {
      Awaits.result(hc.close());
    }
    Awaits.until("every connection is counted closed", () -> gw.gauge("tidegate.http.connections") == 0);
  }

  @Test
  void aWebSocketHandshakeOverHttp2IsAClientErrorNotAFailure() {
    WebClient c = client(HttpVersion.HTTP_2, null);
    try {
      HttpResponse<Buffer> r = send(c, HttpMethod.GET, "/ws", null, "Authorization", "Bearer " + token);
      assertEquals(HttpVersion.HTTP_2, r.version());
      assertEquals(400, r.statusCode(), r.bodyAsString());
      assertTrue(r.getHeader("content-type").startsWith("application/problem+json"), r.headers().toString());
    } finally {
      c.close();
    }
  }

  @Test
  void plainHttpToTheTlsPortGetsNoAnswer() {
    WebClient plain = WebClient.create(vertx, new WebClientOptions().setConnectTimeout(10_000));
    try {
      Future<HttpResponse<Buffer>> r = plain.getAbs("http://127.0.0.1:" + port() + "/health/live").timeout(30_000).send();
      RuntimeException e = assertThrows(RuntimeException.class, () -> Awaits.result(r));
      assertTrue(r.failed(), "no HTTP answer on the TLS port: " + e);
    } finally {
      plain.close();
    }
  }

  @ParameterizedTest
  @EnumSource(value = HttpVersion.class, names = {"HTTP_1_1", "HTTP_2"})
  void aClientCertificateFromTheConfiguredCaIsAnIdentity(HttpVersion version) {
    long before = KafkaTestClients.endOffsetSum(topic, 1);
    WebClient c = client(version, device);
    try {
      HttpResponse<Buffer> me = send(c, HttpMethod.GET, "/me", null);
      assertEquals(200, me.statusCode(), me.bodyAsString());
      assertEquals(version, me.version());
      JsonObject id = me.bodyAsJsonObject();
      assertEquals("sensor-7", id.getString("subject"), "the certificate's CN");
      assertEquals(device.certificate().getNotAfter().getTime() / 1000, id.getLong("expires"));
      assertEquals(new JsonArray().add("tls.*"), id.getJsonObject("permissions").getJsonArray("publish"));
      HttpResponse<Buffer> published = send(c, HttpMethod.POST, "/topics/" + topic + "/records", record("from-cert"));
      assertEquals(200, published.statusCode(), published.bodyAsString());
      assertEquals(before + 1, KafkaTestClients.endOffsetSum(topic, 1));
      HttpResponse<Buffer> elsewhere = send(c, HttpMethod.POST, "/topics/orders.elsewhere/records", record(1));
      assertEquals(403, elsewhere.statusCode(), "the role allows tls.* only: " + elsewhere.bodyAsString());
      HttpResponse<Buffer> admin = send(c, HttpMethod.POST, "/topics", new JsonObject().put("name", "tls.new"));
      assertEquals(403, admin.statusCode(), admin.bodyAsString());
    } finally {
      c.close();
    }
  }

  @Test
  void aBearerTokenWinsOverTheCertificate() {
    WebClient c = client(HttpVersion.HTTP_1_1, device);
    try {
      HttpResponse<Buffer> me = send(c, HttpMethod.GET, "/me", null, "Authorization", "Bearer " + token);
      assertEquals(200, me.statusCode(), me.bodyAsString());
      assertEquals("alice", me.bodyAsJsonObject().getString("subject"));
      HttpResponse<Buffer> bad = send(c, HttpMethod.GET, "/me", null, "Authorization", "Bearer not.a.jwt");
      assertEquals(401, bad.statusCode(), "a bad token is not rescued by the certificate: " + bad.bodyAsString());
    } finally {
      c.close();
    }
  }

  @Test
  void withNeitherTokenNorCertificateTheCallerIsUnauthenticated() {
    WebClient c = client(HttpVersion.HTTP_2, null);
    try {
      HttpResponse<Buffer> me = send(c, HttpMethod.GET, "/me", null);
      assertEquals(401, me.statusCode(), me.bodyAsString());
      assertEquals("Bearer", me.getHeader("WWW-Authenticate"));
    } finally {
      c.close();
    }
  }

  @Test
  void aCertificateWithoutACommonNameIdentifiesNobody() {
    WebClient c = client(HttpVersion.HTTP_1_1, nameless);
    try {
      HttpResponse<Buffer> me = send(c, HttpMethod.GET, "/me", null);
      assertEquals(401, me.statusCode(), me.bodyAsString());
      assertTrue(me.bodyAsString().contains("common name"), me.bodyAsString());
    } finally {
      c.close();
    }
  }

  @Test
  void aCertificateFromAnotherCaIsNotAskedForAndIdentifiesNobody() {
    // the server names the CAs it takes: an ordinary client holding only another CA's certificate sends none
    long before = KafkaTestClients.endOffsetSum(topic, 1);
    WebClient c = client(HttpVersion.HTTP_1_1, stranger);
    try {
      HttpResponse<Buffer> r = send(c, HttpMethod.POST, "/topics/" + topic + "/records", record("from-a-stranger"));
      assertEquals(401, r.statusCode(), r.bodyAsString());
    } finally {
      c.close();
    }
    assertEquals(before, KafkaTestClients.endOffsetSum(topic, 1), "nothing was published");
  }

  @ParameterizedTest
  @EnumSource(value = HttpVersion.class, names = {"HTTP_1_1", "HTTP_2"})
  void aCertificateFromAnotherCaPushedAnywayFailsTheHandshake(HttpVersion version) {
    WebClient control = pushingClient(version, device);
    try {
      HttpResponse<Buffer> me = send(control, HttpMethod.GET, "/me", null);
      assertEquals("sensor-7", me.bodyAsJsonObject().getString("subject"), "pushed, a good certificate is taken");
    } finally {
      control.close();
    }
    long before = KafkaTestClients.endOffsetSum(topic, 1);
    WebClient c = pushingClient(version, stranger);
    try {
      Future<HttpResponse<Buffer>> r = c.postAbs(url("/topics/" + topic + "/records")).timeout(30_000)
          .sendJsonObject(record("from-a-stranger"));
      HttpResponse<Buffer> answered = null;
      try {
        answered = Awaits.result(r);
      } catch (RuntimeException e) {
        // the handshake is refused: the expected outcome
      }
      assertNull(answered, "a certificate of another CA must not be served (" + version + "): "
          + (answered == null ? "" : answered.statusCode() + " " + answered.bodyAsString()));
    } finally {
      c.close();
    }
    assertEquals(before, KafkaTestClients.endOffsetSum(topic, 1), "nothing was published");
  }

  private static WebClient pushingClient(HttpVersion version, Certs.Issued certificate) {
    return WebClient.create(vertx, new WebClientOptions().setSsl(true).setVerifyHost(true).setUseAlpn(true)
        .setProtocolVersion(version).setTrustOptions(new PemTrustOptions().addCertPath(serverCa.certPath().toString()))
        .setKeyCertOptions(KeyCertOptions.wrap(pushing(certificate))));
  }

  /** A client key manager that presents {@code certificate} whatever CAs the server asks for (as an attacker may). */
  private static X509KeyManager pushing(Certs.Issued certificate) {
    X509Certificate[] chain = {certificate.certificate()};
    return new X509ExtendedKeyManager() {
      @Override
      public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[] {"pushed"};
      }

      @Override
      public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return "pushed";
      }

      @Override
      public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return "pushed";
      }

      @Override
      public String[] getServerAliases(String keyType, Principal[] issuers) {
        return null;
      }

      @Override
      public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return null;
      }

      @Override
      public X509Certificate[] getCertificateChain(String alias) {
        return chain;
      }

      @Override
      public PrivateKey getPrivateKey(String alias) {
        return certificate.keys().getPrivate();
      }
    };
  }

  private static List<String> copy(List<String> frames) {
    synchronized (frames) {
      return new ArrayList<>(frames);
    }
  }

  private static String copy(StringBuilder text) {
    synchronized (text) {
      return text.toString();
    }
  }
}
