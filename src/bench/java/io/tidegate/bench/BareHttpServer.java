package io.tidegate.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;

/**
 * The HTTP ceiling for the publish benchmark: a bare Vert.x server (same transport, same event loops as the
 * gateway) that reads each request body and answers a fixed publish-shaped result, touching no Kafka.
 */
public final class BareHttpServer {
  private static final Buffer ANSWER = Buffer.buffer("{\"results\":[{\"partition\":0,\"offset\":1,\"timestamp\":1763700000000}]}");

  private BareHttpServer() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.createHttpServer()
            .requestHandler(req -> req.body().onSuccess(b -> req.response()
                .putHeader("Content-Type", "application/json").end(ANSWER)))
            .listen(port);
      }
    }, new DeploymentOptions().setInstances(Runtime.getRuntime().availableProcessors()))
        .onSuccess(id -> System.out.println("BARE READY " + port));
  }
}
