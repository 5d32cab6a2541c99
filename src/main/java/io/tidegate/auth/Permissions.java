package io.tidegate.auth;

import io.tidegate.codec.RecordFilter;
import io.tidegate.error.ApiError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one identity may do: publish to and subscribe to topics, join consumer groups, administer; and the
 * filters forced onto its subscriptions and history reads of some topics (row-level access): on those topics a
 * record reaches the identity only if it passes both the client's own filter and the forced one, on every
 * transport ({@link #filterFor}). Topics whose
 * names start with {@code __} (Kafka's own) are never allowed, whatever the permissions say.
 */
public record Permissions(
    List<TopicPattern> publish,
    List<TopicPattern> subscribe,
    List<TopicPattern> groups,
    boolean admin,
    Map<TopicPattern, JsonObject> filters) {

  /** Everything (mode {@code none}), but never Kafka's internal topics. */
  public static final Permissions ALL = new Permissions(List.of(new TopicPattern("*")), List.of(new TopicPattern("*")),
      List.of(new TopicPattern("*")), true, Map.of());

  public static final Permissions NONE = new Permissions(List.of(), List.of(), List.of(), false, Map.of());

  public Permissions {
    publish = List.copyOf(publish);
    subscribe = List.copyOf(subscribe);
    groups = List.copyOf(groups);
    filters = Map.copyOf(filters);
  }

  public boolean mayPublish(String topic) {
    return !internal(topic) && any(publish, topic);
  }

  public boolean maySubscribe(String topic) {
    return !internal(topic) && any(subscribe, topic);
  }

  public boolean mayJoin(String group) {
    return any(groups, group);
  }

  /**
   * The filter to apply to a subscription or history read of {@code topic}: the client's {@code own} and, on top,
   * the filter of every pattern in {@code filters} that names the topic (all of them, so that the result does
   * not depend on their order). Conditions that contradict match nothing ({@link RecordFilter#and}).
   */
  public RecordFilter filterFor(String topic, RecordFilter own) {
    RecordFilter f = own;
    for (Map.Entry<TopicPattern, JsonObject> e : filters.entrySet()) {
      if (e.getKey().matches(topic)) {
        f = f.and(RecordFilter.parse(e.getValue()));
      }
    }
    return f;
  }

  /** The first filter that names {@code topic}, as written (see {@link #filterFor} for what is applied). */
  public Optional<JsonObject> forcedFilter(String topic) {
    for (Map.Entry<TopicPattern, JsonObject> e : filters.entrySet()) {
      if (e.getKey().matches(topic)) {
        return Optional.of(e.getValue());
      }
    }
    return Optional.empty();
  }

  /**
   * What either allows; forced filters of both apply, all of those whose patterns name a topic (for a pattern
   * both name, the first grant's filter).
   */
  public Permissions union(Permissions other) {
    Map<TopicPattern, JsonObject> f = new LinkedHashMap<>(filters);
    other.filters.forEach(f::putIfAbsent);
    return new Permissions(concat(publish, other.publish), concat(subscribe, other.subscribe),
        concat(groups, other.groups), admin || other.admin, f);
  }

  /** Kafka's internal topics ({@code __consumer_offsets}, {@code __transaction_state}...) are never served. */
  public static boolean internal(String topic) {
    return topic.startsWith("__");
  }

  /**
   * Reads the shape of the {@code tidegate} claim and of each role in {@code auth.roles}:
   * {@code {"publish":[...],"subscribe":[...],"groups":[...],"admin":bool,"filters":{"topic":{filter}}}}.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static Permissions fromJson(JsonObject json) {
    for (String key : json.fieldNames()) {
      if (!List.of("publish", "subscribe", "groups", "admin", "filters").contains(key)) {
        throw new IllegalArgumentException("unknown permission '" + key + "' (publish, subscribe, groups, admin, filters)");
      }
    }
    Object admin = json.getValue("admin", false);
    if (!(admin instanceof Boolean a)) {
      throw new IllegalArgumentException("'admin' must be true or false");
    }
    Object rawFilters = json.getValue("filters", new JsonObject());
    if (!(rawFilters instanceof JsonObject fs)) {
      throw new IllegalArgumentException("'filters' must map topic patterns to filters");
    }
    Map<TopicPattern, JsonObject> filters = new LinkedHashMap<>();
    for (String pattern : fs.fieldNames()) {
      if (!(fs.getValue(pattern) instanceof JsonObject filter)) {
        throw new IllegalArgumentException("the filter for '" + pattern + "' must be an object like {\"key\":\"alice\"}");
      }
      try {
        RecordFilter.parse(filter); // a filter that cannot be applied must refuse the grant, not drop the filter
      } catch (ApiError e) {
        throw new IllegalArgumentException("the filter for '" + pattern + "': " + e.detail(), e);
      }
      filters.put(new TopicPattern(pattern), filter);
    }
    return new Permissions(patterns(json, "publish"), patterns(json, "subscribe"), patterns(json, "groups"), a, filters);
  }

  /** The shape {@code GET /me} answers with. */
  public JsonObject toJson() {
    JsonObject f = new JsonObject();
    filters.forEach((p, filter) -> f.put(p.text(), filter));
    return new JsonObject().put("publish", texts(publish)).put("subscribe", texts(subscribe))
        .put("groups", texts(groups)).put("admin", admin).put("filters", f);
  }

  private static List<TopicPattern> patterns(JsonObject json, String key) {
    Object raw = json.getValue(key, new JsonArray());
    if (!(raw instanceof JsonArray arr)) {
      throw new IllegalArgumentException("'" + key + "' must be a list of names or prefixes ending in '*'");
    }
    List<TopicPattern> out = new ArrayList<>();
    for (Object o : arr) {
      if (!(o instanceof String s)) {
        throw new IllegalArgumentException("'" + key + "' must be a list of names or prefixes ending in '*'");
      }
      out.add(new TopicPattern(s));
    }
    return out;
  }

  private static boolean any(List<TopicPattern> patterns, String name) {
    for (TopicPattern p : patterns) {
      if (p.matches(name)) {
        return true;
      }
    }
    return false;
  }

  private static List<TopicPattern> concat(List<TopicPattern> a, List<TopicPattern> b) {
    List<TopicPattern> out = new ArrayList<>(a);
    b.stream().filter(p -> !out.contains(p)).forEach(out::add);
    return out;
  }

  private static JsonArray texts(List<TopicPattern> patterns) {
    JsonArray a = new JsonArray();
    patterns.forEach(p -> a.add(p.text()));
    return a;
  }
}
