package io.tidegate.kafka;

import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Clients' admin work (subscribe look-ups, the topic API) runs in a bulkhead: a flood of look-ups of thousands
 * of unknown topics may be refused with 503, but readiness and publishing never wait behind it.
 */
@GatewayIT
class AdminBulkheadIT {
  private static final int SOCKETS = 4;
  private static final int FRAMES_PER_SOCKET = 100;
  private static final int TOPICS_PER_FRAME = 50;
  private static final int HTTP_LOOKUPS = 2000;

  @Test
  void aFloodOfUnknownTopicLookupsLeavesReadinessAndPublishingAlone() throws Exception {
    List<String> fresh = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String t = uniqueTopic("bulkhead-fresh");
      KafkaTestClients.createTopic(t, 1);
      fresh.add(t);
    }
    Vertx vertx = Vertx.vertx();
    List<WsClient> sockets = new ArrayList<>();
    try (TestGateway gw = TestGateway.start()) {
      int port = Integer.parseInt(gw.url("").replaceAll(".*:(\\d+)$", "$1"));
      for (int s = 0; s < SOCKETS; s++) {
        sockets.add(WsClient.connect(vertx, gw));
      }
      String prefix = uniqueTopic("unknown");

      // the flood: every frame names topics that do not exist, every GET describes one that does not
      for (int s = 0; s < SOCKETS; s++) {
        WsClient ws = sockets.get(s);
        for (int f = 0; f < FRAMES_PER_SOCKET; f++) {
          JsonArray topics = new JsonArray();
          for (int t = 0; t < TOPICS_PER_FRAME; t++) {
            topics.add(prefix + "-" + s + "-" + f + "-" + t);
          }
          ws.socket().writeTextMessage(new JsonObject().put("type", "subscribe").put("id", "f" + f)
              .put("topics", topics).put("from", "earliest").encode());
        }
      }
      HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultPort(port).setDefaultHost("127.0.0.1"),
          new PoolOptions().setHttp1MaxSize(200));
      AtomicInteger answered = new AtomicInteger();
      for (int i = 0; i < HTTP_LOOKUPS; i++) {
        http.request(HttpMethod.GET, "/topics/" + prefix + "-http-" + i)
            .compose(req -> req.send().compose(resp -> resp.body()))
            .onComplete(ar -> answered.incrementAndGet());
      }

      // meanwhile: readiness stays green and publishing (to topics the gateway has not looked up yet) works
      long start = System.nanoTime();
      int checks = 0;
      int next = 0;
      List<String> problems = new ArrayList<>();
      while (System.nanoTime() - start < 90_000_000_000L) {
        boolean floodDone = answered.get() >= HTTP_LOOKUPS
            && sockets.stream().allMatch(ws -> errorFrames(ws) >= FRAMES_PER_SOCKET);
        if (floodDone && System.nanoTime() - start > 5_000_000_000L && next >= fresh.size()) {
          break;
        }
        Http.Response ready = Http.get(gw.url("/health/ready"));
        if (ready.status() != 200) {
          problems.add("readiness answered " + ready.status() + " after " + (System.nanoTime() - start) / 1_000_000 + " ms");
        }
        String topic = fresh.get(next++ % fresh.size());
        long t0 = System.nanoTime();
        Http.Response published = Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("value", checks));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (published.status() != 200 || ms > 5000) {
          problems.add("publish to " + topic + " answered " + published.status() + " in " + ms + " ms: " + published.body());
        }
        checks++;
      }
      assertTrue(problems.isEmpty(), checks + " checks, " + problems.size() + " problems, the first: "
          + problems.subList(0, Math.min(5, problems.size())));
      assertEquals(HTTP_LOOKUPS, answered.get(), "every flooding request was answered");
      for (WsClient ws : sockets) {
        ws.send(new JsonObject().put("type", "ping").put("id", "alive"));
        ws.awaitType("pong", "alive");
      }
    } finally {
      sockets.forEach(WsClient::close);
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  private static long errorFrames(WsClient ws) {
    return ws.frames().stream().filter(f -> "error".equals(f.getString("type"))).count();
  }
}
