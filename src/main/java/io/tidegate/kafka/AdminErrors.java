package io.tidegate.kafka;

import io.tidegate.error.ApiError;
import io.tidegate.error.ErrorMapper;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * What a client is told when an admin call fails: what it needs to know and do, never the admin client's own
 * wording (which names internal calls, as in "Call: listOffsets", and brokers).
 */
final class AdminErrors {
  static final String RETRY = "Kafka did not answer in time; retry shortly";
  private static final int RETRY_AFTER_SECONDS = 5;

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
    // in the gateway's words: Kafka's own quote internal names and are logged instead (ErrorMapper's rule)
    if (t instanceof InvalidReplicationFactorException) {
      return ApiError.unprocessable("Kafka refused the replication factor: more than its brokers can hold, or invalid");
    }
    if (t instanceof InvalidPartitionsException) {
      return ApiError.unprocessable("Kafka refused the partition count");
    }
    if (t instanceof InvalidConfigurationException) {
      return ApiError.unprocessable("Kafka refused a setting in 'configs': an unknown name, or a value it does not accept");
    }
    if (t instanceof PolicyViolationException) {
      return ApiError.unprocessable("the cluster's topic policy refused the topic");
    }
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
