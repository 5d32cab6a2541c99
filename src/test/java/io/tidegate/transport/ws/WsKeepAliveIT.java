package io.tidegate.transport.ws;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.RawWebSocket;
import io.tidegate.testing.RawWebSocket.Frame;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Sockets are kept alive by pings, not by traffic: a quiet subscribed socket that answers pings stays open
 * far past the HTTP idle timeout; one that answers no ping for two intervals is closed.
 */
@GatewayIT
class WsKeepAliveIT {
  private static final int PING_SECONDS = 1;
  private static final int IDLE_SECONDS = 2;

  private static TestGateway gateway() {
    return TestGateway.start(new JsonObject()
        .put("http", new JsonObject().put("idleTimeoutSeconds", IDLE_SECONDS))
        .put("ws", new JsonObject().put("pingSeconds", PING_SECONDS)));
  }

  @Test
  void aQuietSubscribedSocketThatAnswersPingsOutlivesTheIdleTimeout() throws Exception {
    String topic = uniqueTopic("ws-quiet");
    createTopic(topic, 1);
    Vertx clients = Vertx.vertx();
    try (TestGateway gw = gateway(); WsClient c = WsClient.connect(clients, gw)) {
      c.send(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray().add(topic)));
      c.awaitType("subscribed", "s");
      int[] pings = new int[1];
      c.socket().frameHandler(f -> {
        if (f.type() == io.vertx.core.http.WebSocketFrameType.PING) {
          synchronized (pings) {
            pings[0]++;
          }
        }
      });
      // What is tested is the passing of time with nothing sent by the client: three idle timeouts.
      long until = System.nanoTime() + Duration.ofSeconds(3L * IDLE_SECONDS).toNanos();
      while (System.nanoTime() < until) {
        assertNull(c.closeCode(), "a quiet socket that answers pings is never cut");
        Thread.sleep(200);
      }
      synchronized (pings) {
        assertTrue(pings[0] >= 2, "the gateway pinged the socket (" + pings[0] + " pings)");
      }
      c.send(new JsonObject().put("type", "ping").put("id", "still"));
      c.awaitType("pong", "still");
    } finally {
      Awaits.result(clients.close());
    }
  }

  @Test
  void aSocketThatAnswersNoPingIsClosedAfterTwoIntervals() {
    try (TestGateway gw = gateway(); RawWebSocket raw = RawWebSocket.connect(gw)) {
      Frame first = raw.next(30_000);
      assertNotNull(first);
      assertEquals(RawWebSocket.PING, first.opcode(), "the gateway pings");
      long pinged = System.nanoTime();
      Frame close = raw.awaitClose(30_000);
      long after = Duration.ofNanos(System.nanoTime() - pinged).toMillis();
      assertNotNull(close, "a close frame is sent");
      assertEquals(1008, close.closeCode());
      assertTrue(after >= 1000L * PING_SECONDS, "closed " + after + " ms after the first unanswered ping");
    }
  }
}
