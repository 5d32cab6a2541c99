package io.tidegate.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tidegate.kafka.GroupLag;
import io.tidegate.kafka.TopicDetails;
import io.tidegate.kafka.TopicSummary;
import io.tidegate.stream.HistoryPage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The bodies written with Jackson's generator are byte for byte what the JsonObject trees used to encode to. */
class JsonBodyTest {
  @Test
  void topicListAsBefore() {
    String expected = new JsonArray()
        .add(new JsonObject().put("name", "a").put("partitions", 3).put("replicationFactor", 1))
        .add(new JsonObject().put("name", "b.ü").put("partitions", 1).put("replicationFactor", 2)).encode();
    assertEquals(expected, JsonBody.topics(List.of(new TopicSummary("a", 3, 1), new TopicSummary("b.ü", 1, 2))).toString());
  }

  @Test
  void topicDescriptionAsBeforeWithNullsWrittenOut() {
    String expected = new JsonObject().put("name", "t").put("internal", false).put("partitions", new JsonArray()
        .add(new JsonObject().put("partition", 0).put("leader", 1).put("replicas", new JsonArray().add(1).add(2))
            .put("isr", new JsonArray().add(1)).put("beginOffset", 0L).put("endOffset", 12_345_678_901L))
        .add(new JsonObject().put("partition", 1).put("leader", null).put("replicas", new JsonArray())
            .put("isr", new JsonArray()).put("beginOffset", null).put("endOffset", null))).encode();
    TopicDetails d = new TopicDetails("t", false, List.of(
        new TopicDetails.Partition(0, 1, List.of(1, 2), List.of(1), 0L, 12_345_678_901L),
        new TopicDetails.Partition(1, null, List.of(), List.of(), null, null)));
    assertEquals(expected, JsonBody.topic(d).toString());
  }

  @Test
  void groupsAsBefore() {
    String expected = new JsonArray().add(new JsonObject().put("group", "g\"1").put("state", "Stable").put("members", 2)
        .put("lag", 3L).put("partitions", new JsonArray()
            .add(new JsonObject().put("topic", "t").put("partition", 0).put("committed", 7L).put("end", 10L).put("lag", 3L))
            .add(new JsonObject().put("topic", "t").put("partition", 1).put("committed", 4L).put("end", null).put("lag", 0L))))
        .add(new JsonObject().put("group", "empty").put("state", "Empty").put("members", 0).put("lag", 0L)
            .put("partitions", new JsonArray())).encode();
    List<GroupLag> groups = List.of(
        new GroupLag("g\"1", "Stable", 2, 3, List.of(new GroupLag.Partition("t", 0, 7, 10L, 3),
            new GroupLag.Partition("t", 1, 4, null, 0))),
        new GroupLag("empty", "Empty", 0, 0, List.of()));
    assertEquals(expected, JsonBody.groups(groups).toString());
  }

  @Test
  void historyPageCarriesTheRecordsBytesAsTheyAre() {
    byte[] r1 = "{\"topic\":\"t\",\"value\":1.10}".getBytes(StandardCharsets.UTF_8);
    byte[] r2 = "{\"topic\":\"t\",\"value\":\"é\"}".getBytes(StandardCharsets.UTF_8);
    TreeMap<Integer, Long> next = new TreeMap<>();
    next.put(0, 5L);
    next.put(10, 2L);
    String body = JsonBody.historyPage(new HistoryPage(List.of(r1, r2), next)).toString(StandardCharsets.UTF_8);
    assertEquals("{\"records\":[{\"topic\":\"t\",\"value\":1.10},{\"topic\":\"t\",\"value\":\"é\"}],\"next\":{\"0\":5,\"10\":2}}", body);
    assertEquals("{\"records\":[],\"next\":{}}", JsonBody.historyPage(new HistoryPage(List.of(), new TreeMap<>())).toString());
  }

  @Test
  void aLargePageIsWhole() {
    byte[] big = new byte[20_000];
    Arrays.fill(big, (byte) 'x');
    byte[] rec = ("{\"v\":\"" + new String(big, StandardCharsets.US_ASCII) + "\"}").getBytes(StandardCharsets.US_ASCII);
    String body = JsonBody.historyPage(new HistoryPage(List.of(rec, rec, rec), new TreeMap<>())).toString();
    assertEquals(3, new JsonObject(body).getJsonArray("records").size());
  }
}
