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
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The single table from a failure to the problem a client sees. */
public final class ErrorMapper {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);

  private ErrorMapper() {}

  public static ApiError toApiError(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof ApiError e) {
      return e;
    }
    if (t instanceof DecodeException) {
      return ApiError.malformedJson("the body is not valid JSON");
    }
    if (t instanceof UnknownTopicOrPartitionException) {
      return ApiError.notFound(message(t, "unknown topic or partition"));
    }
    if (t instanceof TopicExistsException) {
      return ApiError.conflict(message(t, "the topic already exists"));
    }
    if (t instanceof InvalidTopicException) {
      return ApiError.invalidTopic(message(t, "invalid topic name"));
    }
    if (t instanceof InvalidPartitionsException || t instanceof InvalidReplicationFactorException
        || t instanceof InvalidConfigurationException || t instanceof PolicyViolationException
        || t instanceof InvalidRequestException) {
      return ApiError.unprocessable(message(t, "Kafka refused the request"));
    }
    if (t instanceof RecordTooLargeException || t instanceof RecordBatchTooLargeException) {
      return ApiError.tooLarge(message(t, "the record is larger than Kafka accepts"));
    }
    if (t instanceof AuthorizationException || t instanceof AuthenticationException) {
      return ApiError.forbidden(message(t, "Kafka refused the gateway's credentials"));
    }
    if (t instanceof BufferExhaustedException) {
      return ApiError.overloaded("the gateway's producer buffer is full; retry shortly");
    }
    if (t instanceof TimeoutException || t instanceof RetriableException) {
      return ApiError.timeout(message(t, "Kafka did not answer in time"), 5);
    }
    LOG.error("Unexpected failure", t);
    return ApiError.internal("an unexpected error occurred; see the gateway log");
  }

  public static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String message(Throwable t, String fallback) {
    String m = t.getMessage();
    return m == null || m.isBlank() ? fallback : m;
  }
}
