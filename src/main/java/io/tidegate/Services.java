package io.tidegate;

import io.tidegate.config.TidegateConfig;
import io.tidegate.health.KafkaHealth;
import io.tidegate.http.IdempotencyCache;
import io.tidegate.kafka.GroupService;
import io.tidegate.kafka.HistoryReader;
import io.tidegate.kafka.Publisher;
import io.tidegate.kafka.TopicService;
import io.tidegate.metrics.Metrics;

/** What every verticle instance of one gateway shares. All of it is thread-safe. */
public record Services(
    TidegateConfig config,
    Publisher publisher,
    TopicService topics,
    GroupService groups,
    HistoryReader history,
    KafkaHealth health,
    IdempotencyCache idempotency,
    Metrics metrics) {}
