package io.tidegate.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.publish.IdempotencyCache;
import io.tidegate.publish.Publisher.Ack;
import io.tidegate.publish.Publisher.Outcome;
import io.tidegate.testing.Awaits;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The publish endpoint's own logic, on a real HTTP server without Kafka (the replay needs none). */
class PublishEndpointTest {
  private Vertx vertx;
  private HttpServer server;
  private final IdempotencyCache cache = new IdempotencyCache(1000, Duration.ofMinutes(1));
  private final AtomicReference<String> answeredFrom = new AtomicReference<>();
  private final CountDownLatch handled = new CountDownLatch(1);

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    var config = io.tidegate.config.ConfigParser.parse(new io.vertx.core.json.JsonObject());
    // a replay publishes nothing: the service is there for its drain state only
    PublishEndpoint endpoint = new PublishEndpoint(vertx, new io.tidegate.publish.PublishService(null, null, null),
        cache, Duration.ofSeconds(30),
        io.tidegate.auth.AuthPolicy.create(vertx, config.auth(), config.limits(),
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
    Router router = Router.router(vertx);
    router.post("/topics/:topic/records").handler(BodyHandler.create(false)).handler(ctx -> {
      Context requestContext = Vertx.currentContext();
      // the answer's headers are written on the thread that ends the response: it must be the request's loop
      ctx.addHeadersEndHandler(v -> {
        if (Vertx.currentContext() != requestContext || !Context.isOnEventLoopThread()) {
          answeredFrom.set(Thread.currentThread().getName());
        }
      });
      ctx.next();
      handled.countDown();
    }).handler(endpoint::publishJson);
    server = Awaits.result(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
  }

  @AfterEach
  void stop() {
    Awaits.result(vertx.close());
  }

  @Test
  void aReplayIsAnsweredOnTheRequestsOwnEventLoop() throws Exception {
    byte[] body = "{\"value\":1}".getBytes(StandardCharsets.UTF_8);
    // The first request with this key is still waiting for Kafka; its outcome will be completed by another
    // thread (Kafka's I/O thread, or the event loop of the first request).
    Promise<List<Outcome>> first = Promise.promise();
    cache.putIfAbsent(IdempotencyCache.key("t", "k1"),
        new IdempotencyCache.Entry(PublishEndpoint.hash("/topics/t/records", body), 1, first.future()));

    CompletableFuture<HttpResponse<String>> answer = HttpClient.newHttpClient().sendAsync(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + "/topics/t/records"))
            .header("Content-Type", "application/json").header("Idempotency-Key", "k1")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertTrue(handled.await(30, TimeUnit.SECONDS), "the replay reached the endpoint");
    first.complete(List.of(new Ack(0, 7, 1_700_000_000_000L))); // completed here, on the test's thread

    HttpResponse<String> r = answer.get(30, TimeUnit.SECONDS);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("true", r.headers().firstValue("Idempotent-Replayed").orElse(null));
    assertEquals("{\"results\":[{\"partition\":0,\"offset\":7,\"timestamp\":1700000000000}]}", r.body());
    assertNull(answeredFrom.get(), "the replay was answered from thread " + answeredFrom.get()
        + ", not the request's event loop (racing its own timer there)");
  }
}
