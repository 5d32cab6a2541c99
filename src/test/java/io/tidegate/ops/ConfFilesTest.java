package io.tidegate.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MetricsIT's reading of conf/ finds the names in one-line and block expressions alike (it cannot pass by reading none). */
class ConfFilesTest {
  @Test
  void theAlertRulesNamesAreFoundInOneLineAndBlockExpressions() throws Exception {
    Set<String> used = MetricsIT.used(MetricsIT.ALERTS);
    assertTrue(used.contains("tidegate_ready"), used.toString()); // expr: on one line
    assertTrue(used.contains("tidegate_delivery_latency_seconds_bucket"), used.toString()); // in a | block
    assertTrue(used.contains("vertx_http_server_requests_total"), used.toString()); // a block's second line
  }

  @Test
  void theDashboardsQueriesAreRead() throws Exception {
    Set<String> used = MetricsIT.used(MetricsIT.DASHBOARD);
    for (String name : Set.of("tidegate_feed_lag", "tidegate_stream_queued_bytes", "tidegate_publish_ack_seconds_bucket",
        "tidegate_delivery_latency_seconds_bucket", "tidegate_stream_closed_slow_total", "tidegate_auth_denials_total",
        "tidegate_eventloop_delay_seconds_bucket", "vertx_http_server_requests_total", "netty_eventexecutor_tasks_pending")) {
      assertTrue(used.contains(name), name + " in " + used);
    }
  }

  @Test
  void aNameOnlyInAnAnnotationIsNotAnExpression(@TempDir Path dir) throws Exception {
    Path rules = dir.resolve("rules.yml");
    Files.writeString(rules, """
        groups:
          - name: g
            rules:
              - alert: A
                expr: |
                  sum(rate(tidegate_a_total[5m]))
                    / sum(rate(tidegate_b_total[5m])) > 1
                for: 5m
                annotations:
                  description: "see tidegate_c_total"
        """);
    assertTrue(MetricsIT.used(rules).equals(Set.of("tidegate_a_total", "tidegate_b_total")), MetricsIT.used(rules).toString());
  }
}
