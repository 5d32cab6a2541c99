package io.tidegate.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;

class ErrorMapperTest {
  private static final String INTERNAL = "Timestamp 1795800122766 of message with offset 0 is out of range [-9223370241061853031]";

  @Test
  void kafkasOwnMessagesNeverReachTheClient() {
    List<RuntimeException> failures = List.of(
        new UnknownTopicOrPartitionException(INTERNAL), new TopicExistsException(INTERNAL),
        new InvalidTopicException(INTERNAL), new InvalidPartitionsException(INTERNAL),
        new InvalidReplicationFactorException(INTERNAL), new InvalidConfigurationException(INTERNAL),
        new PolicyViolationException(INTERNAL), new RecordTooLargeException(INTERNAL),
        new AuthorizationException(INTERNAL), new TimeoutException(INTERNAL),
        new NotLeaderOrFollowerException(INTERNAL), new InvalidTimestampException(INTERNAL),
        new CompletionException(new InvalidConfigurationException(INTERNAL)));
    for (RuntimeException f : failures) {
      ApiError e = ErrorMapper.toApiError(f);
      assertFalse(e.detail().contains("offset 0") || e.detail().contains("9223370241061853031"),
          f.getClass().getSimpleName() + " leaked: " + e.detail());
      assertFalse(e.status() == 500, f.getClass().getSimpleName() + " is a known failure, not a 500");
    }
  }

  @Test
  void aTimestampKafkaRefusesIsUnprocessable() {
    ApiError e = ErrorMapper.toApiError(new InvalidTimestampException(INTERNAL));
    assertEquals(422, e.status());
  }

  @Test
  void anUnknownFailureIs500WithoutItsMessage() {
    ApiError e = ErrorMapper.toApiError(new IllegalStateException(INTERNAL));
    assertEquals(500, e.status());
    assertFalse(e.detail().contains("offset"), e.detail());
  }
}
