package io.tidegate.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

/**
 * Two gateways share a webhook's partitions (one consumer group); one stops mid-stream with records in flight: the
 * other takes its partitions over, nothing is lost, and what arrives twice is no more than was in flight.
 */
@GatewayIT
class WebhookSharedIT {
  private static final int MAX_IN_FLIGHT = 8;

  private static JsonObject config() {
    return new JsonObject().put("webhooks", new JsonObject().put("maxInFlight", MAX_IN_FLIGHT));
  }

  private static int members(String group) {
    try (Admin admin = KafkaTestClients.admin()) {
      return admin.describeConsumerGroups(List.of(group)).all().get().get(group).members().size();
    } catch (Exception e) {
      return -1;
    }
  }

  @Test
  void gatewaysShareAWebhookAndWhenOneStopsTheOtherDeliversTheRestWithBoundedDuplicates() {
    String topic = KafkaTestClients.uniqueTopic("shared.deliveries");
    KafkaTestClients.createTopic(topic, 4);
    String name = KafkaTestClients.uniqueTopic("sharedhook");
    // every record fails once, then is accepted: at any time many records wait for their retry, in flight
    Set<String> failedOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try (TestGateway first = TestGateway.start(config());
         Receiver rx = new Receiver(c -> failedOnce.add(c.header("webhook-id")) ? Receiver.Answer.of(500) : Receiver.Answer.of(200))) {
      rx.delayMs = 30;
      TestGateway second = TestGateway.start(config());
      boolean secondClosed = false;
      try {
        Awaits.until("both gateways read the definitions", () -> Http.get(first.url("/webhooks")).status() == 200
            && Http.get(second.url("/webhooks")).status() == 200);
        JsonObject def = new JsonObject().put("name", name).put("topics", new JsonArray().add(topic)).put("url", rx.url())
            .put("backoff", new JsonObject().put("initialMs", 300).put("maxMs", 300));
        assertEquals(201, Http.postJson(first.url("/webhooks"), def).status());
        Awaits.until("both gateways are members of the webhook's group", Duration.ofSeconds(60),
            () -> members("tidegate-webhook-" + name) == 2);

        int total = 0;
        for (int batch = 0; batch < 20; batch++) {
          JsonArray records = new JsonArray();
          for (int i = 0; i < 10; i++, total++) {
            records.add(new JsonObject().put("key", "k" + (total % 25)).put("value", total));
          }
          assertEquals(200, Http.postJson(first.url("/topics/" + topic + "/records"),
              new JsonObject().put("records", records)).status());
          if (batch == 8) {
            Awaits.until("both gateways have delivered some", () -> rx.accepted().size() >= 30);
            second.close(); // mid-stream, with records in flight on it
            secondClosed = true;
          }
        }
        int published = total;
        Awaits.until("every record delivered", Duration.ofSeconds(90),
            () -> rx.accepted().stream().map(c -> c.header("webhook-id")).distinct().count() == published);
        Awaits.until("all committed", Duration.ofSeconds(30), () -> committed(first, name) == published);

        List<Receiver.Call> accepted = rx.accepted();
        Set<String> ids = new HashSet<>();
        long duplicates = accepted.stream().filter(c -> !ids.add(c.header("webhook-id"))).count();
        // counted on both gateways: the stopped one gives up what it had not committed, and the rebalance its leaving
        // causes may also take partitions from the one that stays and give them back (an eager assignor revokes all)
        double abandoned = abandoned(second, name) + abandoned(first, name);
        // a duplicate is a record a gateway had not committed when its partition moved (in flight, or delivered past
        // one that was)
        assertTrue(duplicates <= abandoned, duplicates + " duplicates, " + abandoned + " counted as abandoned");

        // per key, the first arrival of each record keeps offset order within its partition
        Map<String, List<Long>> firstArrivals = accepted.stream().filter(distinctBy(c -> c.header("webhook-id")))
            .collect(Collectors.groupingBy(c -> c.key(), Collectors.mapping(c -> c.json().getLong("offset"), Collectors.toList())));
        firstArrivals.forEach((key, offsets) -> assertEquals(offsets.stream().sorted().toList(), offsets,
            "key " + key + " in offset order"));
      } finally {
        if (!secondClosed) {
          second.close();
        }
      }
    }
  }

  private static long committed(TestGateway gw, String name) {
    return Http.get(gw.url("/webhooks/" + name + "/status")).json().getJsonArray("partitions").stream()
        .mapToLong(p -> ((JsonObject) p).getLong("committed") == null ? 0 : ((JsonObject) p).getLong("committed")).sum();
  }

  private static <T> java.util.function.Predicate<T> distinctBy(Function<T, String> id) {
    Set<String> seen = new HashSet<>();
    return t -> seen.add(id.apply(t));
  }

  private static double abandoned(TestGateway gw, String webhook) {
    io.micrometer.core.instrument.Counter c = gw.gateway().registry().find("tidegate.webhook.abandoned")
        .tag("webhook", webhook).counter();
    return c == null ? 0 : c.count();
  }
}
