package io.tidegate.webhook;

import io.tidegate.testing.Awaits;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A webhook receiver for tests: a Vert.x HTTP server on 127.0.0.1 that keeps every request it got (headers, body,
 * when) and answers as the test says. The answer function returns a status, or -1 to never answer.
 */
final class Receiver implements AutoCloseable {
  /** One request as it arrived. */
  record Call(long atMillis, Map<String, String> headers, String body, int answered) {
    JsonObject json() {
      return new JsonObject(body);
    }

    String header(String name) {
      return headers.get(name.toLowerCase());
    }

    String key() {
      return json().getString("key");
    }
  }

  private final Vertx vertx;
  private final HttpServer server;
  private final List<Call> calls = new ArrayList<>();
  private volatile Function<Call, Answer> answer;
  /** How long each answer waits (so that records are in flight when a test needs them to be). */
  volatile long delayMs;

  /** A status and optional headers to answer with; a status of -1 never answers. */
  record Answer(int status, Map<String, String> headers) {
    static Answer of(int status) {
      return new Answer(status, Map.of());
    }
  }

  Receiver(Function<Call, Answer> answer) {
    this.answer = answer;
    this.vertx = Vertx.vertx();
    this.server = Awaits.result(vertx.createHttpServer().requestHandler(this::handle).listen(0, "127.0.0.1"));
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/hook";
  }

  private void handle(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      Map<String, String> headers = new TreeMap<>();
      req.headers().forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
      Call pending = new Call(System.currentTimeMillis(), headers, body.toString(), 0);
      Answer a = answer.apply(pending);
      synchronized (calls) {
        calls.add(new Call(pending.atMillis(), headers, pending.body(), a.status()));
      }
      if (a.status() < 0) {
        return; // hangs: the gateway's timeout must give up on it
      }
      a.headers().forEach(req.response()::putHeader);
      if (delayMs > 0) {
        vertx.setTimer(delayMs, t -> req.response().setStatusCode(a.status()).end("answer " + a.status()));
      } else {
        req.response().setStatusCode(a.status()).end("answer " + a.status());
      }
    });
  }

  List<Call> calls() {
    synchronized (calls) {
      return List.copyOf(calls);
    }
  }

  /** Calls that got a 2xx. */
  List<Call> accepted() {
    return calls().stream().filter(c -> c.answered() >= 200 && c.answered() < 300).toList();
  }

  @Override
  public void close() {
    Awaits.result(vertx.close());
  }
}
