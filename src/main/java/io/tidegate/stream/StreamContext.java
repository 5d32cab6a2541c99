package io.tidegate.stream;

import io.micrometer.core.instrument.Counter;
import io.tidegate.config.TidegateConfig;
import io.tidegate.kafka.KafkaClients;
import io.tidegate.publish.PublishService;
import io.tidegate.kafka.TopicService;
import io.vertx.core.Context;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/** What the sockets of one event loop share: that loop's fan-out, and the gateway-wide services. */
public record StreamContext(
    Context context,
    Fanout fanout,
    TidegateConfig.Ws config,
    long publishTimeoutMs,
    LiveFeed feed,
    TopicService topics,
    PublishService publishing,
    KafkaClients clients,
    WorkerExecutor catchUpWorkers,
    Semaphore catchUps,
    AtomicInteger sessions,
    Counter slowClosed,
    Semaphore groupMembers,
    Counter groupCommits) {

  /** The same, counting its clients in {@code other} (SSE streams share a loop's fan-out with its sockets). */
  public StreamContext withSessions(AtomicInteger other) {
    return new StreamContext(context, fanout, config, publishTimeoutMs, feed, topics, publishing, clients, catchUpWorkers,
        catchUps, other, slowClosed, groupMembers, groupCommits);
  }
}
