package io.tidegate.stream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tidegate.config.TidegateConfig;
import io.tidegate.kafka.KafkaClients;
import io.tidegate.kafka.TopicService;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every streaming client of one gateway shares, whatever its event loop or transport: the live feed, the
 * bounds on catch-up reads and group members, and the streaming counters. All of it is thread-safe.
 */
public record Streams(
    TidegateConfig.Ws config,
    LiveFeed feed,
    TopicService topics,
    KafkaClients clients,
    WorkerExecutor catchUpWorkers,
    Semaphore catchUps,
    Semaphore groupMembers,
    AtomicInteger wsSessions,
    AtomicInteger sseSessions,
    AtomicInteger subscriptions,
    AtomicInteger behind,
    StreamMeters meters,
    Counter groupCommits) {

  /** Creates the shared parts and registers their meters; the feed starts reading once a topic is wanted. */
  public static Streams create(Vertx vertx, TidegateConfig.Ws config, TopicService topics, KafkaClients clients,
      MeterRegistry registry) {
    AtomicInteger ws = new AtomicInteger();
    AtomicInteger sse = new AtomicInteger();
    Semaphore members = new Semaphore(config.maxGroupMembers());
    Gauge.builder("tidegate.ws.sessions", ws, AtomicInteger::get).description("Open WebSocket sessions")
        .register(registry);
    Gauge.builder("tidegate.sse.sessions", sse, AtomicInteger::get).description("Open Server-Sent Events streams")
        .register(registry);
    Gauge.builder("tidegate.group.members", members, g -> config.maxGroupMembers() - g.availablePermits())
        .description("WebSocket clients that are Kafka consumer-group members (one consumer each)")
        .register(registry);
    Semaphore catchUps = new Semaphore(config.maxCatchUps());
    AtomicInteger subscriptions = new AtomicInteger();
    AtomicInteger behind = new AtomicInteger();
    Gauge.builder("tidegate.stream.subscriptions", subscriptions, AtomicInteger::get)
        .description("Topics subscribed by WebSocket clients and SSE streams (one per client and topic)")
        .register(registry);
    Gauge.builder("tidegate.stream.catchups", catchUps, s -> config.maxCatchUps() - s.availablePermits())
        .description("Subscriptions reading the past from Kafka (one consumer each; at most ws.maxCatchUps)")
        .register(registry);
    Gauge.builder("tidegate.stream.behind", behind, AtomicInteger::get)
        .description("Subscriptions whose client fell a budget behind the live feed and waits to catch up from Kafka")
        .register(registry);
    LiveFeed feed = new LiveFeed(clients::feedConsumer, registry, config.tailLingerSeconds() * 1000L);
    return new Streams(config, feed, topics, clients,
        vertx.createSharedWorkerExecutor("tidegate-catchup", 4), catchUps, members, ws, sse, subscriptions, behind,
        new StreamMeters(registry),
        Counter.builder("tidegate.group.commits")
            .description("Offsets committed for group members over WebSocket").register(registry));
  }

  /** Call on an event loop: that loop's share of the live feed, which the sockets and streams of the loop use. */
  public Fanout fanoutFor(Context context) {
    Fanout fanout = new Fanout(context, feed, config.tailBytes(), meters.tailBytes());
    feed.addSink(context, fanout);
    return fanout;
  }

  /** Group members currently held (each a Kafka consumer). */
  public int groupMembersInUse() {
    return config.maxGroupMembers() - groupMembers.availablePermits();
  }

  /** Stops the feed, the catch-up workers and their kept consumers; call off the event loop (it waits for the feed's thread). */
  public void close() {
    catchUpWorkers.close();
    clients.catchUpConsumers().closeIdle();
    feed.close();
  }
}
