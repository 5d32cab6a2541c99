package io.tidegate.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.RawHttp;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What one client's connections may cost the gateway: a bounded number, and no memory for bytes not sent. */
@GatewayIT
class ConnectionLimitsIT {
  static final int MAX_CONNECTIONS = 40;
  static final int MAX_BODY = 32 * 1024 * 1024;
  /** Connections for the memory test: Vert.x Web pre-allocated up to 64 KB for each. */
  static final int LYING_CONNECTIONS = 1500;
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(new JsonObject()
        .put("http", new JsonObject().put("maxBodyBytes", MAX_BODY))
        .put("limits", new JsonObject().put("maxConnections", MAX_CONNECTIONS)));
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  private static int port() {
    return gw.gateway().port();
  }

  private static double refused() {
    var c = gw.gateway().registry().find("tidegate.http.connections.refused").counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void connectionsBeyondTheLimitAre429AndClosed() {
    List<RawHttp> held = new ArrayList<>();
    try {
      // each held connection has been answered, so the gateway has surely counted it
      while (held.size() < MAX_CONNECTIONS) {
        RawHttp c = new RawHttp(port());
        held.add(c);
        c.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertEquals(200, c.read().status(), "connection " + held.size());
      }
      double before = refused();
      try (RawHttp over = new RawHttp(port())) {
        over.send("GET /topics HTTP/1.1\r\nHost: localhost\r\n\r\n");
        RawHttp.Response r = over.read();
        assertEquals(429, r.status(), r.body());
        assertEquals("application/problem+json", r.header("content-type"));
        assertEquals("close", r.header("connection"));
        assertTrue(Integer.parseInt(r.header("retry-after")) >= 1);
        assertTrue(over.closedByPeer(), "the refused connection is closed");
      }
      try (RawHttp handshake = new RawHttp(port())) {
        handshake.send("GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        assertEquals(429, handshake.read().status(), "a WebSocket handshake over the limit");
      }
      assertEquals(before + 2, refused(), "refusals are counted");
      // the held connections are still served
      held.get(0).send("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
      assertEquals(200, held.get(0).read().status());
    } finally {
      held.forEach(RawHttp::close);
    }
    Awaits.until("the closed connections are no longer counted",
        () -> gw.gauge("tidegate.http.connections") < MAX_CONNECTIONS);
    assertEquals(200, Http.get(gw.url("/health/live")).status(), "below the limit again, new connections are served");
  }

  @Test
  void closedWebSocketsAreNoLongerCounted() {
    double before = gw.gauge("tidegate.http.connections");
    Vertx vertx = Vertx.vertx();
    try {
      for (int i = 0; i < 2 * MAX_CONNECTIONS; i++) {
        WsClient ws = WsClient.connect(vertx, gw);
        ws.send(new JsonObject().put("type", "ping").put("id", "p")).awaitType("pong", "p");
        ws.close();
        // a leak would refuse the handshakes past the limit
      }
    } finally {
      Awaits.result(vertx.close());
    }
    Awaits.until("the closed sockets are no longer counted", () -> gw.gauge("tidegate.http.connections") <= before);
  }

  @Test
  void aContentLengthReservesNoMemoryBeforeTheBytesArrive() {
    TestGateway big = TestGateway.start(new JsonObject()
        .put("http", new JsonObject().put("maxBodyBytes", MAX_BODY))
        .put("limits", new JsonObject().put("maxConnections", LYING_CONNECTIONS + 100)));
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long before = heapAfterGc(memory);
    int connections = LYING_CONNECTIONS;
    List<RawHttp> lying = new ArrayList<>();
    try {
      for (int i = 0; i < connections; i++) {
        RawHttp c = new RawHttp(big.gateway().port());
        lying.add(c);
        // claims a body just under the limit, sends none; 100-continue tells us the body handler is reading
        c.send("POST /topics/any-topic HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: " + (MAX_BODY - 1) + "\r\nExpect: 100-continue\r\n\r\n");
        assertEquals(100, c.read(true).status());
      }
      long grown = heapAfterGc(memory) - before;
      // pre-allocated, these would hold 1500 x 64 KB = 94 MB; the connections themselves cost far less
      assertTrue(grown < 50L * 1024 * 1024, connections + " connections announcing " + MAX_BODY
          + " bytes each and sending none grew the heap by " + grown / (1024 * 1024) + " MB");
    } finally {
      lying.forEach(RawHttp::close);
      big.close();
    }
  }

  private static long heapAfterGc(MemoryMXBean memory) {
    System.gc();
    System.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }
}
