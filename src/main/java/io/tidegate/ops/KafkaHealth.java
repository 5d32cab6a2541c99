package io.tidegate.ops;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks Kafka on a timer whether it answers (describeCluster, bounded by a timeout). Readiness and the
 * fail-fast path of publishing read the last answer, so neither waits on Kafka.
 */
public final class KafkaHealth {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaHealth.class);
  /**
   * Kafka counts as gone after two probes in a row go unanswered. The admin client asks one broker per probe;
   * while a broker of a cluster restarts, the one asked may be that broker and miss the timeout although the
   * cluster serves (BrokerFailoverIT saw readiness flap so), and the next probe asks another.
   */
  private static final int FAILURES_FOR_DOWN = 2;

  private final Vertx vertx;
  private final Admin admin;
  private final Duration interval;
  private final Duration timeout;
  private volatile boolean up;
  private volatile String lastError = "not probed yet";
  private volatile String detail = "";
  private volatile int brokers;
  /** Probes failed in a row: one unanswered probe (a busy or restarting broker asked) is not an outage. */
  private int failures;
  private long timerId = -1;
  private boolean probing;

  public KafkaHealth(Vertx vertx, Admin admin, Duration interval, Duration timeout) {
    this.vertx = vertx;
    this.admin = admin;
    this.interval = interval;
    this.timeout = timeout;
  }

  /** Starts probing on the given context (an event loop); the first probe runs at once. */
  public void start(Context ctx) {
    ctx.runOnContext(v -> {
      probe(ctx);
      timerId = vertx.setPeriodic(interval.toMillis(), id -> probe(ctx));
    });
  }

  public void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
  }

  public boolean isUp() {
    return up;
  }

  /** Seconds a client should wait before trying again while Kafka is down. */
  public int retryAfterSeconds() {
    return (int) Math.max(1, (interval.toMillis() + 999) / 1000);
  }

  public JsonObject status() {
    return up ? new JsonObject().put("brokers", brokers) : new JsonObject().put("error", lastError);
  }

  private void probe(Context ctx) {
    if (probing) {
      return;
    }
    probing = true;
    var options = new DescribeClusterOptions().timeoutMs((int) timeout.toMillis());
    // Kafka's admin client directly: vertx-kafka-client's describeCluster has no timeout option, and its
    // conversion throws (its future then never completes) when Kafka names no controller
    Future.fromCompletionStage(admin.describeCluster(options).nodes().toCompletionStage(), ctx)
        .onComplete(ar -> {
          probing = false;
          boolean was = up;
          if (ar.succeeded()) {
            brokers = ar.result().size();
            failures = 0;
            up = true;
          } else if (++failures >= FAILURES_FOR_DOWN || !was) {
            // readiness is public: it names the kind of failure; Kafka's own message (admin call names) goes to the log
            lastError = "Kafka did not answer the probe (" + ar.cause().getClass().getSimpleName() + ")";
            detail = String.valueOf(ar.cause().getMessage());
            up = false;
          }
          if (was != up) {
            if (up) {
              LOG.info("Kafka answers ({} broker(s))", brokers);
            } else {
              LOG.warn("Kafka does not answer: {}", detail);
            }
          }
        });
  }
}
