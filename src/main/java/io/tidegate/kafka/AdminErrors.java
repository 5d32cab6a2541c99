package io.tidegate.kafka;

import io.tidegate.error.ApiError;
import io.tidegate.error.ErrorMapper;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * What a client is told when an admin call fails: what it needs to know and do, never the admin client's own
 * wording (which names internal calls, as in "Call: listOffsets", and brokers).
 */
final class AdminErrors {
  private static final int RETRY_AFTER_SECONDS = 5;
  static final String RETRY = "Kafka did not answer in time; retry after " + RETRY_AFTER_SECONDS + " s";

  private AdminErrors() {}

  /** The failure as a problem about {@code topic} (null when the call was not about one topic). */
  static Throwable forClient(Throwable failure, String topic) {
    Throwable t = ErrorMapper.unwrap(failure);
    if (t instanceof ApiError) {
      return t;
    }
    if (t instanceof UnknownTopicOrPartitionException && topic != null) {
      return ApiError.unknownTopic(topic);
    }
    if (t instanceof TopicExistsException && topic != null) {
      return ApiError.conflict("topic '" + topic + "' already exists");
    }
    // refusals of a topic's partitions, replication factor or configs: ErrorMapper's one table words them
    if (t instanceof AuthorizationException || t instanceof AuthenticationException) {
      return ApiError.forbidden("Kafka does not allow the gateway this operation");
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      // Kafka wraps some timeouts ("Failed to find brokers to send ListGroups", caused by a TimeoutException)
      if (c instanceof TimeoutException || c instanceof RetriableException) {
        return ApiError.timeout(RETRY, RETRY_AFTER_SECONDS);
      }
    }
    return failure;
  }
}
