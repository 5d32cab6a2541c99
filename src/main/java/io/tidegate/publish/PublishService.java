package io.tidegate.publish;

import io.tidegate.kafka.TopicInfo;
import io.tidegate.kafka.TopicService;

import io.tidegate.error.ApiError;
import io.tidegate.ops.KafkaHealth;
import io.tidegate.publish.Publisher.Outcome;
import io.tidegate.codec.PublishRecord;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;

/**
 * Publishing as every transport does it: fail fast while Kafka is known down, check the topic and the
 * partitions asked for, then hand the records to the shared producer.
 */
public final class PublishService {

  /**
   * A publish under way.
   *
   * @param handedOver succeeds once the records passed every check and went to the producer
   * @param outcomes   Kafka's answer for every record
   */
  public record Submission(Future<Void> handedOver, Future<List<Outcome>> outcomes) {}

  private final Publisher publisher;
  private final TopicService topics;
  private final KafkaHealth health;
  private final Draining draining = new Draining();

  public PublishService(Publisher publisher, TopicService topics, KafkaHealth health) {
    this.publisher = publisher;
    this.topics = topics;
    this.health = health;
  }

  /** The graceful stop's state and the publishes waiting for Kafka (every transport registers its own). */
  public Draining draining() {
    return draining;
  }

  public Submission submit(String topic, List<PublishRecord> records) {
    if (!health.isUp()) {
      Future<List<Outcome>> down = Future.failedFuture(
          ApiError.unavailable("Kafka is not reachable from the gateway", health.retryAfterSeconds()));
      return new Submission(down.mapEmpty(), down);
    }
    Promise<Void> handedOver = Promise.promise();
    Future<List<Outcome>> outcomes = topics.lookupOrCreate(topic)
        .compose(info -> partitionsInRange(info, records) ? Future.succeededFuture(info) : topics.refresh(topic))
        .compose(info -> {
          for (int i = 0; i < records.size(); i++) {
            Integer p = records.get(i).partition();
            if (p != null && p >= info.partitions()) {
              return Future.failedFuture(ApiError.invalidRecord(records.size() == 1 ? -1 : i, "partition " + p
                  + " does not exist (topic '" + topic + "' has " + info.partitions() + ")"));
            }
          }
          handedOver.complete();
          return publisher.send(topic, records);
        });
    outcomes.onFailure(handedOver::tryFail);
    return new Submission(handedOver.future(), outcomes);
  }

  private static boolean partitionsInRange(TopicInfo info, List<PublishRecord> records) {
    for (PublishRecord r : records) {
      if (r.partition() != null && r.partition() >= info.partitions()) {
        return false;
      }
    }
    return true;
  }
}
