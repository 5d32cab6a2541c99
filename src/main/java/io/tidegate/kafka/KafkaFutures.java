package io.tidegate.kafka;

import io.vertx.core.Context;
import io.vertx.core.Future;
import org.apache.kafka.common.KafkaFuture;

/** Brings Kafka's futures back onto a Vert.x context. */
public final class KafkaFutures {
  private KafkaFutures() {}

  public static <T> Future<T> on(Context context, KafkaFuture<T> future) {
    return Future.fromCompletionStage(future.toCompletionStage(), context);
  }
}
