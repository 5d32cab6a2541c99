package io.tidegate.stream;

import io.tidegate.error.ApiError;
import io.tidegate.kafka.TopicService;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a subscription that starts in the past starts on every partition: {@code "earliest"},
 * {@code {"timestamp":ms}}, {@code {"offsets":{...}}} or a {@link Resume} (an SSE cursor), looked up in
 * Kafka and kept within what the log holds. {@code "latest"} needs no look-up: it rides the live feed.
 */
final class StartPoint {
  private final TopicService topics;
  private final Context context;

  StartPoint(TopicService topics, Context context) {
    this.topics = topics;
    this.context = context;
  }

  /** Refuses a {@code from} that is not one of the forms, before anything is claimed or looked up. */
  static void validate(Object from) {
    if ("latest".equals(from) || "earliest".equals(from) || from instanceof Resume) {
      return;
    }
    if (from instanceof JsonObject f && f.size() == 1 && f.getValue("timestamp") instanceof Number ts) {
      if (ts.longValue() < 0 || ts.doubleValue() != ts.longValue()) {
        throw ApiError.badRequest("'from.timestamp' must be epoch milliseconds, not negative (" + ts + ")");
      }
      return;
    }
    if (from instanceof JsonObject f && f.size() == 1 && f.getValue("offsets") instanceof JsonObject) {
      return;
    }
    throw ApiError.badRequest(
        "'from' is \"latest\", \"earliest\", {\"timestamp\":ms} or {\"offsets\":{\"topic\":{\"partition\":offset}}}");
  }

  /**
   * Where the subscription starts when the loop's {@link FeedTail} holds it all, with no look-up in Kafka: a
   * {@link Resume} or {@code {"offsets":...}} whose every asked offset lies in the tail (up to the feed's
   * position), on a topic the feed reads here on every partition. Partitions not asked start at the feed's
   * position ({@code offsets}); a {@link Resume} must name them all. Null when Kafka must be asked (or the
   * {@code from} is malformed: {@link #resolve} says why).
   */
  static Map<Integer, Long> inTail(String topic, Object from, int partitions, Fanout fanout) {
    Map<Integer, Long> asked = new HashMap<>();
    boolean resume = from instanceof Resume;
    if (from instanceof Resume r) {
      asked.putAll(r.offsets());
    } else if (from instanceof JsonObject f && f.getValue("offsets") instanceof JsonObject all) {
      if (!(all.getValue(topic) instanceof JsonObject mine)) {
        return null;
      }
      for (String p : mine.fieldNames()) {
        if (!p.matches("\\d{1,9}") || !(mine.getValue(p) instanceof Number o) || o.doubleValue() != o.longValue()) {
          return null;
        }
        asked.put(Integer.parseInt(p), o.longValue());
      }
    } else {
      return null;
    }
    Map<Integer, Long> out = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      TopicPartition tp = new TopicPartition(topic, p);
      Long live = fanout.liveNext(tp);
      Long want = asked.remove(p);
      if (live == null || (want == null && resume) || (want != null && !fanout.inTail(tp, want))) {
        return null;
      }
      out.put(p, want == null ? live : want);
    }
    return asked.isEmpty() ? out : null; // a partition the topic does not have: resolve refuses it
  }

  /**
   * The next offset to deliver per partition. {@code reset} is told of each asked offset the log no longer
   * holds (delivery starts at the log's start instead).
   */
  Future<Map<Integer, Long>> resolve(String id, String topic, Object from, int partitions, Consumer<JsonObject> reset) {
    List<TopicPartition> tps = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      tps.add(new TopicPartition(topic, p));
    }
    if ("earliest".equals(from)) {
      return offsets(tps, OffsetSpec.earliest());
    }
    if (from instanceof JsonObject f && f.getValue("timestamp") instanceof Number ts) {
      return offsets(tps, OffsetSpec.forTimestamp(ts.longValue()))
          .compose(byTime -> offsets(tps, OffsetSpec.latest()).map(end -> {
            Map<Integer, Long> out = new HashMap<>(end);
            byTime.forEach((p, o) -> {
              if (o >= 0) {
                out.put(p, o);
              }
            });
            return out;
          }));
    }
    if (from instanceof Resume r) {
      for (int p : r.offsets().keySet()) {
        if (p >= partitions) {
          return Future.failedFuture(ApiError.badRequest("topic '" + topic + "' has no partition " + p));
        }
      }
      return clamped(id, topic, tps, r.offsets(), true, reset);
    }
    JsonObject all = ((JsonObject) from).getJsonObject("offsets");
    Object mine = all.getValue(topic);
    if (mine != null && !(mine instanceof JsonObject)) {
      return Future.failedFuture(ApiError.badRequest("'from.offsets." + topic + "' must map partitions to offsets"));
    }
    Map<Integer, Long> asked = new HashMap<>();
    if (mine instanceof JsonObject m) {
      for (String p : m.fieldNames()) {
        int partition;
        try {
          partition = Integer.parseInt(p);
        } catch (NumberFormatException e) {
          return Future.failedFuture(ApiError.badRequest("partition '" + p + "' is not a number"));
        }
        if (partition < 0 || partition >= partitions) {
          return Future.failedFuture(ApiError.badRequest("topic '" + topic + "' has no partition " + partition));
        }
        if (!(m.getValue(p) instanceof Number o) || o.longValue() < 0 || o.doubleValue() != o.longValue()) {
          return Future.failedFuture(ApiError.badRequest("the offset for partition " + p + " must be a non-negative integer"));
        }
        asked.put(partition, o.longValue());
      }
    }
    return clamped(id, topic, tps, asked, false, reset);
  }

  /**
   * The asked offsets, within what the log holds; partitions not asked start at the end (or the beginning).
   * An offset the log no longer holds is announced with a {@code reset} and starts at the log's beginning.
   */
  private Future<Map<Integer, Long>> clamped(String id, String topic, List<TopicPartition> tps, Map<Integer, Long> asked,
      boolean othersFromBeginning, Consumer<JsonObject> reset) {
    return offsets(tps, OffsetSpec.earliest()).compose(begin -> offsets(tps, OffsetSpec.latest()).map(end -> {
      Map<Integer, Long> out = new HashMap<>();
      for (int p = 0; p < tps.size(); p++) {
        Long want = asked.get(p);
        long s = want == null ? (othersFromBeginning ? begin.get(p) : end.get(p))
            : Math.min(Math.max(want, begin.get(p)), end.get(p));
        if (want != null && want < begin.get(p)) {
          reset.accept(new JsonObject().put("type", "reset").put("id", id).put("topic", topic).put("partition", p)
              .put("requested", want).put("offset", begin.get(p)));
        }
        out.put(p, s);
      }
      return out;
    }));
  }

  private Future<Map<Integer, Long>> offsets(List<TopicPartition> tps, OffsetSpec spec) {
    return topics.offsets(context, tps, spec).map(m -> {
      Map<Integer, Long> out = new HashMap<>();
      m.forEach((tp, o) -> out.put(tp.partition(), o));
      return out;
    });
  }
}
