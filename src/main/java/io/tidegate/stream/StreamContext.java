package io.tidegate.stream;

import io.micrometer.core.instrument.Counter;
import io.tidegate.config.TidegateConfig;
import io.tidegate.kafka.KafkaClients;
import io.tidegate.kafka.TopicService;
import io.vertx.core.Context;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the clients of one transport on one event loop share: the loop, its fan-out, the gateway-wide
 * {@link Streams}, and the transport's count of open clients.
 */
public record StreamContext(Context context, Fanout fanout, Streams streams, AtomicInteger sessions) {

  public TidegateConfig.Ws config() {
    return streams.config();
  }

  public LiveFeed feed() {
    return streams.feed();
  }

  public TopicService topics() {
    return streams.topics();
  }

  public KafkaClients clients() {
    return streams.clients();
  }

  public WorkerExecutor catchUpWorkers() {
    return streams.catchUpWorkers();
  }

  public Semaphore catchUps() {
    return streams.catchUps();
  }

  public Semaphore groupMembers() {
    return streams.groupMembers();
  }

  /** This transport's meters: its clients are counted in {@link Streams#sseSessions()} or in the WebSocket count. */
  public StreamMeters.Transport meters() {
    return sessions == streams.sseSessions() ? streams.meters().sse() : streams.meters().ws();
  }

  public Counter slowClosed() {
    return meters().slowClosed();
  }

  public Counter groupCommits() {
    return streams.groupCommits();
  }
}
