package io.tidegate.error;

import io.vertx.core.json.DecodeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.LeaderNotAvailableException;
import org.apache.kafka.common.errors.NotEnoughReplicasAfterAppendException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single table from a failure to the problem a client sees. The text a client reads is ours: a Kafka
 * or Netty exception's own message (internal names, offsets, broker ranges) is logged at debug, never sent.
 */
public final class ErrorMapper {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);
  /** How long a client waits after a 503 from Kafka's side: about one leader election on a busy cluster. */
  static final int KAFKA_RETRY_AFTER_SECONDS = 5;

  private ErrorMapper() {}

  public static ApiError toApiError(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof ApiError e) {
      return e;
    }
    ApiError mapped = known(t);
    if (mapped == null) {
      LOG.error("Unexpected failure", t);
      return ApiError.internal("an unexpected error occurred; see the gateway log");
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("{} answered {}: {}", t.getClass().getName(), mapped.status(), t.getMessage());
    }
    return mapped;
  }

  /**
   * As {@link #toApiError(Throwable)}, for a failure about one partition ({@code partition} < 0: not known): a
   * partition without a leader, with too few in-sync replicas, or that did not acknowledge in time is named, so a
   * client reads what happened instead of Kafka's internal wording.
   */
  public static ApiError toApiError(Throwable failure, String topic, int partition) {
    Throwable t = unwrap(failure);
    if (topic == null || partition < 0 || !(t instanceof RetriableException)) {
      return toApiError(failure);
    }
    String p = "partition " + topic + "-" + partition;
    if (LOG.isDebugEnabled()) {
      LOG.debug("{} on {}: {}", t.getClass().getName(), p, t.getMessage());
    }
    if (leaderless(t)) {
      return ApiError.unavailable("no leader for " + p + " right now (Kafka is electing one); retry after "
          + KAFKA_RETRY_AFTER_SECONDS + " s", KAFKA_RETRY_AFTER_SECONDS);
    }
    if (tooFewInSync(t)) {
      return ApiError.unavailable("too few replicas of " + p + " are in sync to acknowledge safely right now; retry "
          + "after " + KAFKA_RETRY_AFTER_SECONDS + " s", KAFKA_RETRY_AFTER_SECONDS);
    }
    return ApiError.timeout(p + " did not acknowledge in time (its leader may be changing); retry after "
        + KAFKA_RETRY_AFTER_SECONDS + " s", KAFKA_RETRY_AFTER_SECONDS);
  }

  private static boolean leaderless(Throwable t) {
    return t instanceof NotLeaderOrFollowerException || t instanceof LeaderNotAvailableException;
  }

  private static boolean tooFewInSync(Throwable t) {
    return t instanceof NotEnoughReplicasException || t instanceof NotEnoughReplicasAfterAppendException;
  }

  private static ApiError known(Throwable t) {
    if (t instanceof DecodeException) {
      return ApiError.malformedJson("the body is not valid JSON");
    }
    if (t instanceof UnknownTopicOrPartitionException) {
      return ApiError.notFound("the topic or partition does not exist");
    }
    if (t instanceof TopicExistsException) {
      return ApiError.conflict("the topic already exists");
    }
    if (t instanceof InvalidTopicException) {
      return ApiError.invalidTopic("Kafka refused the topic name");
    }
    if (t instanceof InvalidTimestampException) {
      return ApiError.invalidRecord(-1, "Kafka refused the record's timestamp: it is outside the range the topic "
          + "accepts (by default no more than one hour ahead of the broker's clock)");
    }
    if (t instanceof InvalidPartitionsException) {
      return ApiError.unprocessable("Kafka refused the number of partitions");
    }
    if (t instanceof InvalidReplicationFactorException) {
      return ApiError.unprocessable("Kafka refused the replication factor (more than there are brokers?)");
    }
    if (t instanceof InvalidConfigurationException) {
      return ApiError.unprocessable("Kafka refused the settings: a name is unknown or a value is out of range");
    }
    if (t instanceof PolicyViolationException || t instanceof InvalidRequestException) {
      return ApiError.unprocessable("Kafka refused the request");
    }
    if (t instanceof RecordTooLargeException || t instanceof RecordBatchTooLargeException) {
      return ApiError.tooLarge("the record is larger than Kafka accepts");
    }
    if (t instanceof AuthorizationException || t instanceof AuthenticationException) {
      return ApiError.forbidden("Kafka refused the gateway's credentials");
    }
    if (t instanceof BufferExhaustedException) {
      return ApiError.overloaded("the gateway's producer buffer is full; retry shortly");
    }
    if (leaderless(t)) {
      return ApiError.unavailable("a partition has no leader right now (Kafka is electing one); retry after "
          + KAFKA_RETRY_AFTER_SECONDS + " s", KAFKA_RETRY_AFTER_SECONDS);
    }
    if (tooFewInSync(t)) {
      return ApiError.unavailable("too few replicas of a partition are in sync to acknowledge safely right now; "
          + "retry after " + KAFKA_RETRY_AFTER_SECONDS + " s", KAFKA_RETRY_AFTER_SECONDS);
    }
    if (t instanceof TimeoutException || t instanceof RetriableException) {
      // an admin call's timeout reads "Timed out waiting for a node assignment. Call: listOffsets": not for clients
      return ApiError.timeout("Kafka did not answer in time; retry after " + KAFKA_RETRY_AFTER_SECONDS + " s",
          KAFKA_RETRY_AFTER_SECONDS);
    }
    return null;
  }

  public static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
