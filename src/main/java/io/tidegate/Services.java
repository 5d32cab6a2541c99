package io.tidegate;

import io.tidegate.config.TidegateConfig;
import io.tidegate.health.KafkaHealth;
import io.tidegate.http.IdempotencyCache;
import io.tidegate.kafka.GroupService;
import io.tidegate.kafka.HistoryReader;
import io.tidegate.kafka.PublishService;
import io.tidegate.kafka.Publisher;
import io.tidegate.kafka.TopicService;
import io.tidegate.metrics.Metrics;
import io.micrometer.core.instrument.Counter;
import io.tidegate.kafka.KafkaClients;
import io.tidegate.kafka.LiveFeed;
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
