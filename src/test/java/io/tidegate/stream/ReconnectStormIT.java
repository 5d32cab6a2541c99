package io.tidegate.stream;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.KafkaBrokerExtension;
import io.tidegate.testing.PacedProducer;
import io.tidegate.testing.StormSockets;
import io.tidegate.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A reconnect storm: every subscribed WebSocket of a gateway is dropped at once (its TCP connection reset, no close
 * frame, as a load balancer reset or a network blip does) while records keep flowing into a multi-partition topic;
 * all reconnect within a few seconds, each subscribing from the offsets after the last record it received. Every
 * client then has every record of every partition exactly once and in order, from offset 0 to the end; the gateway
 * stayed ready throughout, no event loop stalled (the guard), and the catch-up reads never exceeded
 * {@code ws.maxCatchUps} (the rest were answered 503 and retried). {@code -Dstorm.sockets=N} sets how many
 * sockets (default 150: each catch-up read costs a worker about half a second here, so reconnects resume at
 * about 5-7 a second on a busy two-core machine and 1,000 would take minutes; 5,000 run in {@code src/bench/storm.sh}).
 */
@GatewayIT
class ReconnectStormIT {
  private static final int SOCKETS = Integer.getInteger("storm.sockets", 150);
  private static final int PARTITIONS = 6;
  private static final int MAX_CATCH_UPS = 16;
  private static final int RECORDS_PER_SECOND = 60;

  @Test
  void everySocketDroppedAtOnceResumesWithNoGapAndNoDuplicateWhileTheGatewayStaysReadyAndCatchUpsStayBounded()
      throws Exception {
    long fdLimit = ((com.sun.management.UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getMaxFileDescriptorCount();
    long fdNeeded = 2L * SOCKETS + 2000; // each socket's two ends in this JVM, plus the broker and the rest
    assertTrue(fdLimit >= fdNeeded, "the open-files limit (ulimit -n) is " + fdLimit + "; " + SOCKETS
        + " sockets need at least " + fdNeeded + ": raise it (ulimit -n " + fdNeeded + ") or run fewer (-Dstorm.sockets)");

    String topic = uniqueTopic("storm");
    createTopic(topic, PARTITIONS);
    Vertx clientVertx = Vertx.vertx();
    long t0 = System.nanoTime();
    try (TestGateway gw = TestGateway.start(new JsonObject().put("ws", new JsonObject().put("maxCatchUps", MAX_CATCH_UPS)));
        StormSockets storm = new StormSockets(clientVertx, port(gw), topic, PARTITIONS)) {
      storm.connect(SOCKETS, 3000);
      await(storm, SOCKETS + " sockets subscribed", Duration.ofSeconds(120),
          () -> storm.subscribed() == SOCKETS || storm.problemCount() > 0);
      assertEquals(List.of(), storm.problems());

      Watch watch = new Watch(gw);
      watch.start();
      try (PacedProducer producer = new PacedProducer(KafkaBrokerExtension.bootstrapServers(), topic, PARTITIONS,
          RECORDS_PER_SECOND)) {
        // every socket is live: each has the records written so far
        Awaits.until("some records are written", Duration.ofSeconds(60), () -> producer.total() >= 4L * PARTITIONS);
        long[] before = producer.ends();
        await(storm, "every socket has the first records", Duration.ofSeconds(60),
            () -> storm.reached(before) == SOCKETS || storm.problemCount() > 0);

        long droppedAt = System.nanoTime();
        storm.dropAll();
        Awaits.until("every socket is dropped", Duration.ofSeconds(30), () -> storm.disconnected() == SOCKETS);
        // while they are away, records keep coming: each client will have to catch up at least these
        long[] atDrop = producer.ends();
        Awaits.until("records are written while the sockets are away", Duration.ofSeconds(30),
            () -> producer.total() >= Arrays.stream(atDrop).sum() + 2L * PARTITIONS);
        storm.reconnectAll(3000, producer.ends());
        await(storm, "every socket resumed and caught up", Duration.ofSeconds(180),
            () -> storm.caughtUp() == SOCKETS || storm.problemCount() > 0);
        double stormSeconds = (System.nanoTime() - droppedAt) / 1e9;

        producer.stop();
        long[] end = producer.ends();
        await(storm, "every socket has every record", Duration.ofSeconds(60),
            () -> storm.reached(end) == SOCKETS || storm.problemCount() > 0);
        watch.stopWatching();
        assertEquals(0, producer.failures(), "records the producer could not write");
        assertEquals(List.of(), storm.problems(), storm.problemCount() + " problems; the first");
        for (StormSockets.Client c : storm.clients()) {
          assertTrue(Arrays.equals(end, c.next()), "a client stopped short: " + Arrays.toString(c.next()) + " of "
              + Arrays.toString(end));
          assertTrue(c.recordsAfterDrop() > 0, "a client caught up nothing");
        }
        assertEquals(0, watch.notReady.get(), "/health/ready answered other than 200 during the storm: "
            + watch.notReadyStatuses);
        assertTrue(watch.maxCatchUps.get() <= MAX_CATCH_UPS, "catch-up reads at once: " + watch.maxCatchUps.get()
            + ", bound " + MAX_CATCH_UPS);
        Awaits.until("the catch-up reads are all given back", () -> gw.gauge("tidegate.stream.catchups") == 0);
        Awaits.until("the gateway counts exactly the new sessions (" + gw.gauge("tidegate.ws.sessions") + ")",
            Duration.ofSeconds(60), () -> gw.gauge("tidegate.ws.sessions") == SOCKETS);
        assertEquals(SOCKETS, gw.gauge("tidegate.stream.subscriptions"));
        // the clients come back within seconds, so the loops' tails hold all they missed: no Kafka read at all
        double fromKafka = pastRecords(gw, "kafka");
        double fromTail = pastRecords(gw, "tail");
        assertEquals(0.0, fromKafka, "records of the past read from Kafka (the tail had them)");
        assertTrue(fromTail > 0, "records of the past from the tails");

        double[] resumed = storm.clients().stream().mapToDouble(StormSockets.Client::resumedMs).sorted().toArray();
        double[] caught = storm.clients().stream().mapToDouble(StormSockets.Client::caughtUpMs).sorted().toArray();
        System.out.printf(Locale.ROOT, "ReconnectStormIT: %d sockets, %d partitions, %d records/s: all caught up %.1f s"
                + " after the drop; resumed p50 %.0f p99 %.0f max %.0f ms; caught up p50 %.0f p99 %.0f max %.0f ms;"
                + " %d records caught up; %d subscribes answered 503 and retried; catch-ups at once max %d (bound %d);"
                + " ready polls %d, not ready %d; past records from tails %.0f, from Kafka %.0f; whole test %.1f s%n",
            SOCKETS, PARTITIONS, RECORDS_PER_SECOND, stormSeconds, pct(resumed, 50), pct(resumed, 99),
            resumed[resumed.length - 1], pct(caught, 50), pct(caught, 99), caught[caught.length - 1],
            storm.clients().stream().mapToLong(StormSockets.Client::recordsAfterDrop).sum(), storm.retries(),
            watch.maxCatchUps.get(), MAX_CATCH_UPS, watch.polls.get(), watch.notReady.get(), fromTail, fromKafka,
            (System.nanoTime() - t0) / 1e9);
      } finally {
        watch.stopWatching();
      }
    } finally {
      Awaits.result(clientVertx.close());
    }
  }

  private static double pastRecords(TestGateway gw, String source) {
    return gw.counter("tidegate.stream.catchup.records", "source", source);
  }

  /** Waits as {@link Awaits#until} does; on time-out, says where the clients stand then. */
  private static void await(StormSockets storm, String what, Duration max, java.util.function.BooleanSupplier done) {
    try {
      Awaits.until(what, max, done);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + " (" + storm.describe() + ")");
    }
  }

  private static double pct(double[] sorted, double p) {
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
  }

  private static int port(TestGateway gw) {
    return Integer.parseInt(gw.url("").replaceAll(".*:(\\d+)$", "$1"));
  }

  /** Polls readiness and the catch-up gauge on a thread of its own until stopped. */
  private static final class Watch extends Thread {
    private final TestGateway gw;
    private final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicInteger maxCatchUps = new AtomicInteger();
    final AtomicInteger polls = new AtomicInteger();
    final AtomicInteger notReady = new AtomicInteger();
    final StringBuffer notReadyStatuses = new StringBuffer();

    Watch(TestGateway gw) {
      super("storm-watch");
      setDaemon(true);
      this.gw = gw;
    }

    @Override
    public void run() {
      long nextReady = 0;
      while (running.get()) {
        maxCatchUps.accumulateAndGet((int) gw.gauge("tidegate.stream.catchups"), Math::max);
        if (System.nanoTime() >= nextReady) {
          nextReady = System.nanoTime() + 200_000_000L;
          int status = Http.get(gw.url("/health/ready")).status();
          polls.incrementAndGet();
          if (status != 200) {
            notReady.incrementAndGet();
            notReadyStatuses.append(status).append(' ');
          }
        }
        try {
          Thread.sleep(5); // a sampling period, not a wait for something to happen
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void stopWatching() throws InterruptedException {
      running.set(false);
      join(10_000);
    }
  }
}
