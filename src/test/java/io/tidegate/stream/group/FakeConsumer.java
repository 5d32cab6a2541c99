package io.tidegate.stream.group;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.common.TopicPartition;

/**
 * Kafka's {@link MockConsumer}, driven by the test: an empty poll waits a moment (as a real one would) so a
 * member's loop does not spin, and with {@link #holdCommits} each {@code commitAsync} waits until the test
 * answers it.
 */
final class FakeConsumer extends MockConsumer<byte[], byte[]> {
  /** A commit Kafka has not answered yet. */
  record Held(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
    long offset(TopicPartition tp) {
      return offsets.get(tp).offset();
    }

    void succeed() {
      callback.onComplete(offsets, null);
    }

    void fail(Exception e) {
      callback.onComplete(offsets, e);
    }
  }

  final List<Held> held = new ArrayList<>();
  volatile boolean holdCommits;

  FakeConsumer() {
    super("earliest");
  }

  @Override
  public void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
    if (holdCommits) {
      synchronized (held) {
        held.add(new Held(Map.copyOf(offsets), callback));
      }
    } else {
      super.commitAsync(offsets, callback);
    }
  }

  /** The commits Kafka was asked for and has not answered, oldest first; answering them is the test's job. */
  List<Held> held() {
    synchronized (held) {
      return List.copyOf(held);
    }
  }

  Held takeHeld() {
    synchronized (held) {
      return held.remove(0);
    }
  }

  @Override
  public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
    ConsumerRecords<byte[], byte[]> polled = super.poll(timeout);
    if (polled.isEmpty()) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return polled;
  }
}
