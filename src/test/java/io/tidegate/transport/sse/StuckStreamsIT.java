package io.tidegate.transport.sse;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A hundred and fifty SSE streams whose clients stopped reading, with backlogs held in the gateway (in Vert.x's
 * outbound queues, whose storage {@code Wire.leanQueues} swapped), are closed together (cut as too slow as they
 * pass their budgets, the rest by the graceful stop) without an event loop stalling ({@link GatewayIT}:
 * StallWatch fails the test when one runs a task for over 100 ms of its own).
 */
@GatewayIT
class StuckStreamsIT {
  private static final int STREAMS = 150;

  @Test
  void stuckStreamsWithBacklogsAreClosedTogetherWithoutStallingAnEventLoop() throws IOException {
    String topic = uniqueTopic("sse-stuck");
    createTopic(topic, 3);
    List<Socket> stuck = new ArrayList<>();
    TestGateway gw = TestGateway.start(new JsonObject().put("ws", new JsonObject().put("budgetBytes", 256 * 1024)));
    try {
      URI u = URI.create(gw.url("/events?topic=" + topic));
      byte[] request = ("GET " + u.getRawPath() + "?" + u.getRawQuery() + " HTTP/1.1\r\nHost: x\r\n"
          + "Accept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < STREAMS; i++) {
        Socket s = new Socket();
        stuck.add(s);
        s.setReceiveBufferSize(4096); // a small window that nothing drains: what it cannot take stays in the gateway
        s.connect(new InetSocketAddress(u.getHost(), u.getPort()));
        s.getOutputStream().write(request);
      }
      Awaits.until("every stream is open", Duration.ofSeconds(120),
          () -> gw.gauge("tidegate.sse.sessions") == STREAMS);
      for (Socket s : stuck) { // each reads until its subscribed event is in (a few hundred bytes), then never again
        s.setSoTimeout(60_000);
        StringBuilder head = new StringBuilder();
        while (head.indexOf("event: subscribed\n") < 0) {
          int b = s.getInputStream().read();
          if (b < 0) {
            throw new AssertionError("a stream ended before its subscribed event: " + head);
          }
          head.append((char) b);
        }
      }

      // 8 MB for each stream: past what the kernel holds for it (up to 4 MB); the gateway holds the rest, up to
      // each stream's 256 KiB budget (a stream past it is cut as too slow: a close as well)
      var slow = gw.gateway().registry().get("tidegate.stream.closed.slow").tag("transport", "sse").counter();
      var queued = gw.gateway().registry().get("tidegate.stream.queued.bytes").tag("transport", "sse").gauge();
      String pad = "q".repeat(4000);
      for (int batch = 0; batch < 40; batch++) {
        JsonArray records = new JsonArray();
        for (int i = 0; i < 50; i++) {
          records.add(new JsonObject().put("value", new JsonObject().put("n", batch * 50 + i).put("pad", pad)));
        }
        Http.Response r = Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records));
        assertEquals(200, r.status(), r.body());
      }
      try {
        Awaits.until("backlogs wait in the gateway", Duration.ofSeconds(90),
            () -> queued.value() >= STREAMS * 64 * 1024.0 || slow.count() >= STREAMS / 2.0);
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + ": " + slow.count() + " of " + STREAMS + " cut, "
            + gw.gauge("tidegate.sse.sessions") + " open, queued bytes " + queued.value(), e);
      }
    } finally {
      gw.close(); // the graceful stop: every stream still open gets its draining event, then is closed
      for (Socket s : stuck) {
        s.close();
      }
    }
  }
}
