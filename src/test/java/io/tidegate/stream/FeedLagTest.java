package io.tidegate.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The feed's lag per partition: one gauge per partition read, none for a partition no longer read. */
class FeedLagTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final FeedLag lag = new FeedLag(registry);
  private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
  private final TopicPartition a0 = new TopicPartition("a", 0);
  private final TopicPartition a1 = new TopicPartition("a", 1);
  private final TopicPartition b0 = new TopicPartition("b", 0);

  @Test
  void aGaugePerPartitionReadAndNoneLeftForWhatIsNoLongerRead() {
    consumer.assign(List.of(a0, a1, b0));
    consumer.updateEndOffsets(Map.of(a0, 10L, a1, 4L, b0, 7L));
    consumer.seek(a0, 3);
    consumer.seek(a1, 4);
    consumer.seek(b0, 0);

    assertEquals(14, lag.update(consumer, Set.of(a0, a1, b0)));
    assertEquals(7.0, gauge("a", "0").value());
    assertEquals(0.0, gauge("a", "1").value());
    assertEquals(7.0, gauge("b", "0").value());

    consumer.seek(a0, 10);
    assertEquals(0, lag.update(consumer, Set.of(a0, a1))); // topic b unsubscribed
    assertEquals(0.0, gauge("a", "0").value());
    assertNull(registry.find("tidegate.feed.lag").tag("topic", "b").gauge());
    assertEquals(2, registry.find("tidegate.feed.lag").gauges().size());

    lag.clear(); // the consumer closed
    assertEquals(0, registry.find("tidegate.feed.lag").gauges().size());
  }

  private Gauge gauge(String topic, String partition) {
    return registry.get("tidegate.feed.lag").tag("topic", topic).tag("partition", partition).gauge();
  }
}
