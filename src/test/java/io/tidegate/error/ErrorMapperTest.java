package io.tidegate.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.LeaderNotAvailableException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
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

  /** What Kafka's admin client says when no broker answers: it names an internal call. */
  private static final String ADMIN_TIMEOUT = "Timed out waiting for a node assignment. Call: listOffsets";

  @Test
  void a503SaysWhenToRetryAndNamesNoInternalCallOrClass() {
    List<Throwable> failures = List.of(new TimeoutException(ADMIN_TIMEOUT),
        new CompletionException(new TimeoutException(ADMIN_TIMEOUT)), new NotLeaderOrFollowerException(ADMIN_TIMEOUT),
        new LeaderNotAvailableException(ADMIN_TIMEOUT), new NotEnoughReplicasException(ADMIN_TIMEOUT));
    for (Throwable f : failures) {
      for (ApiError e : List.of(ErrorMapper.toApiError(f), ErrorMapper.toApiError(f, "orders", 2))) {
        assertEquals(503, e.status(), f + ": " + e.detail());
        assertEquals(5, e.retryAfterSeconds(), f + ": " + e.detail());
        assertTrue(e.detail().endsWith("retry after 5 s"), f + ": the detail says when: " + e.detail());
        assertFalse(e.detail().contains("Call:") || e.detail().contains("listOffsets")
            || e.detail().contains("Exception") || e.detail().contains("org.apache"), f + " leaked: " + e.detail());
      }
    }
  }

  @Test
  void aPartitionWithoutLeaderIsNamed() {
    ApiError e = ErrorMapper.toApiError(new NotLeaderOrFollowerException(INTERNAL), "orders", 2);
    assertEquals("no leader for partition orders-2 right now (Kafka is electing one); retry after 5 s", e.detail());
    assertEquals(503, e.status());
  }

  @Test
  void tooFewInSyncReplicasAreSaidSo() {
    ApiError e = ErrorMapper.toApiError(new NotEnoughReplicasException(INTERNAL), "orders", 0);
    assertTrue(e.detail().startsWith("too few replicas of partition orders-0 are in sync"), e.detail());
  }

  @Test
  void aProducerTimeoutNamesThePartition() {
    ApiError e = ErrorMapper.toApiError(new TimeoutException("Expiring 3 record(s) for orders-1:120000 ms has passed"),
        "orders", 1);
    assertEquals("partition orders-1 did not acknowledge in time (its leader may be changing); retry after 5 s",
        e.detail());
  }

  @Test
  void aPartitionIsNamedOnlyForKafkasPassingFailures() {
    ApiError e = ErrorMapper.toApiError(new RecordTooLargeException(INTERNAL), "orders", 1);
    assertEquals(413, e.status());
    assertEquals(ErrorMapper.toApiError(new TimeoutException(INTERNAL)).detail(),
        ErrorMapper.toApiError(new TimeoutException(INTERNAL), "orders", -1).detail());
  }
}
