package io.tidegate;

import io.tidegate.config.TidegateConfig;
import io.tidegate.ops.KafkaHealth;
import io.tidegate.publish.IdempotencyCache;
import io.tidegate.kafka.GroupService;
import io.tidegate.stream.HistoryReader;
import io.tidegate.publish.PublishService;
import io.tidegate.publish.Publisher;
import io.tidegate.kafka.TopicService;
import io.tidegate.ops.Metrics;
import io.micrometer.core.instrument.Counter;
import io.tidegate.kafka.KafkaClients;
import io.tidegate.stream.LiveFeed;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/** What every verticle instance of one gateway shares. All of it is thread-safe. */
public record Services(
    TidegateConfig config,
    Publisher publisher,
    PublishService publishing,
    TopicService topics,
    GroupService groups,
    HistoryReader history,
    KafkaHealth health,
    IdempotencyCache idempotency,
    Metrics metrics,
    KafkaClients clients,
    LiveFeed feed,
    WorkerExecutor catchUpWorkers,
    Semaphore catchUps,
    AtomicInteger wsSessions,
    AtomicInteger sseSessions,
    Counter slowClosed,
    Semaphore groupMembers,
    Counter groupCommits) {}
