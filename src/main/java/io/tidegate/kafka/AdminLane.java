package io.tidegate.kafka;

import io.tidegate.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.kafka.admin.KafkaAdminClient;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClient;

/**
 * One Kafka admin client of its own (own connections, own network thread), reached through vertx-kafka-client
 * so its futures complete on the caller's Vert.x context. At most {@code maxInFlight} operations run at once;
 * one more fails at once with 503 and {@code Retry-After}, so a flood of work queues nowhere.
 *
 * <p>The gateway has two: one for the health probe and publishing's topic look-ups, one for the work clients
 * ask for (subscribe look-ups, the topic API, offsets, groups). A client flooding the second never delays the
 * first.
 */
public final class AdminLane implements AutoCloseable {
  private final String name;
  private final Admin kafka;
  private final KafkaAdminClient admin;
  private final int maxInFlight;
  private final AtomicInteger inFlight = new AtomicInteger();

  public AdminLane(Vertx vertx, String name, AdminClient kafka, int maxInFlight) {
    this.name = name;
    this.kafka = kafka;
    this.admin = KafkaAdminClient.create(vertx, kafka);
    this.maxInFlight = maxInFlight;
  }

  /** The Vert.x admin client: its futures complete on the calling context. */
  public KafkaAdminClient admin() {
    return admin;
  }

  /**
   * Kafka's own admin client, only for what vertx-kafka-client does not offer (each use says why); bring its
   * futures back with {@code Future.fromCompletionStage(f.toCompletionStage(), context)}.
   */
  Admin kafka() {
    return kafka;
  }

  /**
   * Runs one operation (it may make several admin calls) when fewer than {@code maxInFlight} run; otherwise
   * fails at once with 503. Call on a Vert.x context.
   */
  public <T> Future<T> run(Supplier<Future<T>> operation) {
    if (inFlight.incrementAndGet() > maxInFlight) {
      inFlight.decrementAndGet();
      return Future.failedFuture(ApiError.overloaded("too many Kafka look-ups at once; retry shortly"));
    }
    Future<T> f;
    try {
      f = operation.get();
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    return f.onComplete(x -> inFlight.decrementAndGet());
  }

  /** Operations running now (for tests and metrics). */
  public int inFlight() {
    return inFlight.get();
  }

  @Override
  public String toString() {
    return "AdminLane[" + name + ", " + inFlight.get() + "/" + maxInFlight + "]";
  }

  /** Closes Kafka's client; blocks up to {@code timeout}, so call it off the event loops. */
  public void close(Duration timeout) {
    kafka.close(timeout);
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(2));
  }
}
