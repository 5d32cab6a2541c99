package io.tidegate.transport.http;

import io.tidegate.error.Problems;

import io.tidegate.config.TidegateConfig;
import io.tidegate.error.ApiError;
import io.tidegate.stream.HistoryQuery;
import io.tidegate.stream.HistoryReader;
import io.tidegate.kafka.TopicService;
import io.tidegate.codec.RecordFilter;
import io.tidegate.codec.TopicNames;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/** The topic API: list, describe, create, delete, and a page of a topic's history. */
public final class TopicEndpoint {
  private static final Set<String> CREATE_FIELDS = Set.of("name", "partitions", "replicationFactor", "configs");
  private static final int DEFAULT_LIMIT = 100;

  private final TopicService topics;
  private final HistoryReader history;
  private final TidegateConfig.Publish limits;

  public TopicEndpoint(TopicService topics, HistoryReader history, TidegateConfig.Publish limits) {
    this.topics = topics;
    this.history = history;
    this.limits = limits;
  }

  public void list(RoutingContext ctx) {
    // Kafka leaves out its own internal topics; names a user gave the '__' prefix are never served either; and
    // a caller sees only the topics it may read or write
    var may = IdentityHandler.identity(ctx).permissions();
    topics.list()
        .map(list -> JsonBody.topics(list.stream().filter(t -> !TopicNames.isInternal(t.name()))
            .filter(t -> may.maySubscribe(t.name()) || may.mayPublish(t.name())).toList()))
        .onSuccess(body -> Problems.json(ctx, 200, body)).onFailure(e -> Problems.send(ctx, e));
  }

  public void describe(RoutingContext ctx) {
    String topic = TopicNames.validate(ctx.pathParam("topic"));
    topics.describe(topic).onSuccess(d -> Problems.json(ctx, 200, JsonBody.topic(d))).onFailure(e -> Problems.send(ctx, e));
  }

  public void create(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      throw ApiError.malformedJson("the body must be a JSON object: {\"name\",\"partitions\",\"replicationFactor\",\"configs\"}");
    }
    if (body == null) {
      throw ApiError.malformedJson("the body is empty");
    }
    for (String f : body.fieldNames()) {
      if (!CREATE_FIELDS.contains(f)) {
        throw ApiError.unprocessable("unknown field '" + f + "' (a topic has name, partitions, replicationFactor, configs)");
      }
    }
    if (!(body.getValue("name") instanceof String name)) {
      throw ApiError.unprocessable("'name' must be a string");
    }
    TopicNames.validate(name);
    Optional<Integer> partitions = positiveInt(body, "partitions", Integer.MAX_VALUE).map(Long::intValue);
    Optional<Short> rf = positiveInt(body, "replicationFactor", Short.MAX_VALUE).map(Long::shortValue);
    Map<String, String> configs = new HashMap<>();
    Object raw = body.getValue("configs");
    if (raw != null) {
      if (!(raw instanceof JsonObject obj)) {
        throw ApiError.unprocessable("'configs' must be an object of topic settings");
      }
      for (String k : obj.fieldNames()) {
        Object v = obj.getValue(k);
        if (v instanceof JsonObject || v instanceof io.vertx.core.json.JsonArray || v == null) {
          throw ApiError.unprocessable("configs." + k + " must be a string, number or boolean");
        }
        configs.put(k, String.valueOf(v));
      }
    }
    topics.create(name, partitions, rf, configs)
        .onSuccess(d -> {
          ctx.response().putHeader("Location", "/topics/" + name);
          Problems.json(ctx, 201, JsonBody.topic(d));
        })
        .onFailure(e -> Problems.send(ctx, e));
  }

  public void delete(RoutingContext ctx) {
    String topic = TopicNames.validate(ctx.pathParam("topic"));
    topics.delete(topic)
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(e -> Problems.send(ctx, e));
  }

  /**
   * {@code GET /topics/{topic}/records?from=earliest|latest|<epoch-ms>&partition=&offset=&limit=}. A topic the
   * caller reads through a row-level filter gets only the records that pass it (see {@code HistoryFetch}).
   */
  public void records(RoutingContext ctx) {
    String topic = TopicNames.validate(ctx.pathParam("topic"));
    String fromParam = param(ctx, "from").orElse("earliest");
    HistoryQuery.From from;
    long timestamp = 0;
    switch (fromParam) {
      case "earliest" -> from = HistoryQuery.From.EARLIEST;
      case "latest" -> from = HistoryQuery.From.LATEST;
      default -> {
        from = HistoryQuery.From.TIMESTAMP;
        timestamp = parseLong("from", fromParam, 0, Long.MAX_VALUE,
            "'from' is earliest, latest or a time in epoch milliseconds");
      }
    }
    OptionalInt partition = param(ctx, "partition")
        .map(s -> OptionalInt.of((int) parseLong("partition", s, 0, Integer.MAX_VALUE, null)))
        .orElse(OptionalInt.empty());
    OptionalLong offset = param(ctx, "offset")
        .map(s -> OptionalLong.of(parseLong("offset", s, 0, Long.MAX_VALUE, null)))
        .orElse(OptionalLong.empty());
    if (offset.isPresent() && partition.isEmpty()) {
      throw ApiError.badRequest("'offset' needs 'partition'");
    }
    int limit = param(ctx, "limit").map(s -> (int) parseLong("limit", s, 1, limits.historyMaxLimit(), null))
        .orElse(Math.min(DEFAULT_LIMIT, limits.historyMaxLimit()));
    // the row-level filter the caller's identity forces on the topic (history has no filter of the client's own)
    RecordFilter forced = IdentityHandler.identity(ctx).permissions().filterFor(topic, RecordFilter.ALL);
    HistoryQuery q = new HistoryQuery(topic, from, timestamp, partition, offset, limit, forced);
    topics.lookup(topic)
        .compose(info -> {
          if (partition.isPresent() && partition.getAsInt() >= info.partitions()) {
            return io.vertx.core.Future.failedFuture(ApiError.notFound("partition " + partition.getAsInt()
                + " does not exist (topic '" + topic + "' has " + info.partitions() + ")"));
          }
          return history.read(q, info.partitions());
        })
        .onSuccess(page -> Problems.json(ctx, 200, JsonBody.historyPage(page)))
        .onFailure(e -> Problems.send(ctx, e));
  }

  private static Optional<String> param(RoutingContext ctx, String name) {
    List<String> values = ctx.queryParam(name);
    return values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  private static long parseLong(String name, String s, long min, long max, String message) {
    try {
      long v = Long.parseLong(s);
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiError.badRequest(message != null ? message : "'" + name + "' must be a whole number from " + min + " to " + max);
  }

  private static Optional<Long> positiveInt(JsonObject body, String field, long max) {
    Object v = body.getValue(field);
    if (v == null) {
      return Optional.empty();
    }
    if ((v instanceof Integer || v instanceof Long) && ((Number) v).longValue() >= 1 && ((Number) v).longValue() <= max) {
      return Optional.of(((Number) v).longValue());
    }
    throw ApiError.unprocessable("'" + field + "' must be a whole number from 1 to " + max);
  }
}
