package io.tidegate.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.tidegate.error.ApiError;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

class AdminErrorsTest {
  @Test
  void anAdminTimeoutSaysWhenToRetryNotWhichCallTimedOut() {
    for (Throwable f : new Throwable[] {
        new TimeoutException("Timed out waiting for a node assignment. Call: listOffsets"),
        new CompletionException(new TimeoutException("Timed out waiting for a node assignment. Call: describeTopics")),
        new KafkaException("Failed to find brokers to send ListGroups", new TimeoutException("Call: listGroups"))}) {
      ApiError e = (ApiError) AdminErrors.forClient(f, "orders");
      assertEquals(503, e.status());
      assertEquals(5, e.retryAfterSeconds());
      assertEquals("Kafka did not answer in time; retry after 5 s", e.detail());
      assertFalse(e.toJson().encode().contains("Call:"), e.toJson().encode());
    }
  }
}
