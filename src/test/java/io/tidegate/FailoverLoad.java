package io.tidegate;

import io.tidegate.testing.Http;
import io.tidegate.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Continuous publishing for {@link BrokerFailoverIT}: clients over HTTP and over WebSocket, each sending one
 * record at a time (the next once the last is answered) with keys of its own, so order per key is the order of
 * its acknowledgements. Every answer is kept: acknowledgements with partition and offset, and refusals.
 */
final class FailoverLoad implements AutoCloseable {
  /** One publish as its client saw it: sent at {@code startMs}, answered at {@code endMs}. */
  record Outcome(String client, long seq, String key, long startMs, long endMs, int status, int partition,
                 long offset, String retryAfter, String detail) {
    boolean acked() {
      return status == 200;
    }

    String at() {
      return partition + "@" + offset;
    }
  }

  private final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final List<WebSocketClient> wsClients = new ArrayList<>();
  private volatile boolean stopping;

  /** Starts {@code http} clients over HTTP and {@code ws} over WebSocket, publishing to {@code topic}. */
  FailoverLoad(Vertx vertx, TestGateway gw, String topic, int http, int ws) {
    for (int c = 0; c < http; c++) {
      String name = "http" + c;
      start(name, seq -> httpPublish(gw, topic, name, seq));
    }
    for (int c = 0; c < ws; c++) {
      String name = "ws" + c;
      WebSocketClient client = vertx.createWebSocketClient();
      wsClients.add(client);
      int port = Integer.parseInt(gw.url("").replaceAll(".*:(\\d+)$", "$1"));
      WebSocket socket = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws"))
          .toCompletionStage().toCompletableFuture().join();
      Map<String, CompletableFuture<JsonObject>> waiting = new ConcurrentHashMap<>();
      socket.textMessageHandler(t -> {
        JsonObject f = new JsonObject(t);
        CompletableFuture<JsonObject> w = f.getString("id") == null ? null : waiting.remove(f.getString("id"));
        if (w != null) {
          w.complete(f);
        }
      });
      start(name, seq -> wsPublish(socket, waiting, topic, name, seq));
    }
  }

  private interface Publish {
    Outcome send(long seq) throws Exception;
  }

  private void start(String name, Publish publish) {
    Thread t = new Thread(() -> {
      for (long seq = 0; !stopping; seq++) {
        try {
          outcomes.add(publish.send(seq));
        } catch (Exception e) {
          outcomes.add(new Outcome(name, seq, key(name, seq), 0, 0, -1, -1, -1, null, String.valueOf(e)));
        }
      }
    }, "publisher-" + name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  private static String key(String client, long seq) {
    return client + "-k" + (seq % 5);
  }

  private static JsonObject record(String client, long seq) {
    return new JsonObject().put("key", key(client, seq)).put("value", new JsonObject().put("c", client).put("n", seq));
  }

  private static Outcome httpPublish(TestGateway gw, String topic, String client, long seq) {
    long start = System.currentTimeMillis();
    Http.Response r = Http.postJson(gw.url("/topics/" + topic + "/records"), record(client, seq));
    long end = System.currentTimeMillis();
    if (r.status() == 200) {
      JsonObject ack = r.json().getJsonArray("results").getJsonObject(0);
      return new Outcome(client, seq, key(client, seq), start, end, 200, ack.getInteger("partition"),
          ack.getLong("offset"), null, null);
    }
    String detail = r.body();
    return new Outcome(client, seq, key(client, seq), start, end, r.status(), -1, -1, r.header("Retry-After"), detail);
  }

  private static Outcome wsPublish(WebSocket socket, Map<String, CompletableFuture<JsonObject>> waiting, String topic,
                                   String client, long seq) throws Exception {
    String id = "p" + seq;
    CompletableFuture<JsonObject> answer = new CompletableFuture<>();
    waiting.put(id, answer);
    long start = System.currentTimeMillis();
    socket.writeTextMessage(record(client, seq).put("type", "publish").put("id", id).put("topic", topic).encode());
    JsonObject f = answer.get(60, TimeUnit.SECONDS);
    long end = System.currentTimeMillis();
    if ("ack".equals(f.getString("type"))) {
      return new Outcome(client, seq, key(client, seq), start, end, 200, f.getInteger("partition"),
          f.getLong("offset"), null, null);
    }
    return new Outcome(client, seq, key(client, seq), start, end, f.getInteger("status", -1), -1, -1, "ws", f.encode());
  }

  List<Outcome> outcomes() {
    return List.copyOf(outcomes);
  }

  long acked() {
    return outcomes.stream().filter(Outcome::acked).count();
  }

  /** Stops sending and waits for every publish under way to be answered. */
  @Override
  public void close() throws InterruptedException {
    stopping = true;
    for (Thread t : threads) {
      t.join(120_000);
    }
    wsClients.forEach(WebSocketClient::close);
  }
}
