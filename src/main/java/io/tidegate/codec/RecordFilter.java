package io.tidegate.codec;

import io.tidegate.error.ApiError;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * A subscription's filter, evaluated on the gateway: the key a record must have, header values, and fields of
 * a JSON value that must equal given JSON values ({@code "user.id":7}: a dotted path, where a segment that is a
 * number indexes an array).
 *
 * <p>Two filters with the same conditions are equal, whatever the order they were written in: the live feed
 * evaluates a filter once per record for every subscription that shares it (see {@code FeedRecord}). Two filters
 * are combined with {@link #and}, which keeps that form: a client's filter and the one its identity forces on
 * a topic make one filter, shared with every other subscription that has the same conditions.
 */
public final class RecordFilter {
  public static final RecordFilter ALL = new RecordFilter(null, Map.of(), Map.of());
  /** Matches no record: what two contradicting filters make (two keys, two values of one header or path). */
  public static final RecordFilter NONE = new RecordFilter(null, Map.of(), Map.of(), "{\"none\":true}");
  /** What a value path holds when the value is not JSON, or the path leads nowhere. */
  private static final Object MISSING = new Object();

  private final byte[] key;
  private final Map<String, byte[]> headers;
  private final Map<String, Object> values;
  private final List<String[]> paths;
  /** The canonical form: equal conditions give equal strings. */
  private final String canonical;

  private RecordFilter(byte[] key, Map<String, byte[]> headers, Map<String, Object> values) {
    this(key, headers, values, null);
  }

  /** {@code headers} and {@code values} iterate in name order (the canonical form depends on it). */
  private RecordFilter(byte[] key, Map<String, byte[]> headers, Map<String, Object> values, String canonical) {
    this.key = key;
    this.headers = headers;
    this.values = values;
    this.paths = values.keySet().stream().map(p -> p.split("\\.", -1)).toList();
    this.canonical = canonical != null ? canonical : canonical(key, headers, values);
  }

  private static String canonical(byte[] key, Map<String, byte[]> headers, Map<String, Object> values) {
    JsonObject c = new JsonObject();
    if (key != null) {
      c.put("key", new String(key, StandardCharsets.UTF_8));
    }
    JsonObject h = new JsonObject();
    headers.forEach((n, v) -> h.put(n, new String(v, StandardCharsets.UTF_8)));
    c.put("headers", h);
    JsonObject v = new JsonObject();
    values.forEach(v::put);
    c.put("value", v);
    return c.encode();
  }

  /**
   * From {@code {"key":"u1","headers":{"event-type":"user.created"},"value":{"user.id":7}}}; null means no
   * filter. Anything else is refused with a message naming the field.
   */
  public static RecordFilter parse(Object json) {
    if (json == null) {
      return ALL;
    }
    if (!(json instanceof JsonObject f)) {
      throw ApiError.badRequest("'filter' must be an object with 'key', 'headers' and/or 'value'");
    }
    Builder b = new Builder();
    for (String name : f.fieldNames()) {
      Object v = f.getValue(name);
      switch (name) {
        case "key" -> {
          if (!(v instanceof String s)) {
            throw ApiError.badRequest("'filter.key' must be a string");
          }
          b.key(s);
        }
        case "headers" -> {
          if (!(v instanceof JsonObject h)) {
            throw ApiError.badRequest("'filter.headers' must be an object of strings");
          }
          for (String hn : h.fieldNames()) {
            if (!(h.getValue(hn) instanceof String hv)) {
              throw ApiError.badRequest("'filter.headers." + hn + "' must be a string");
            }
            b.header(hn, hv);
          }
        }
        case "value" -> {
          if (!(v instanceof JsonObject fields)) {
            throw ApiError.badRequest("'filter.value' must map dotted paths to JSON values, e.g. {\"user.id\":7}");
          }
          for (String path : fields.fieldNames()) {
            b.value(path, fields.getValue(path));
          }
        }
        default -> throw ApiError.badRequest("unknown filter field '" + name + "' (a filter has key, headers, value)");
      }
    }
    return b.build();
  }

  /** Builds a filter condition by condition (query parameters use this). */
  public static final class Builder {
    private byte[] key;
    private final Map<String, byte[]> headers = new TreeMap<>();
    private final Map<String, Object> values = new TreeMap<>();

    public Builder key(String k) {
      key = k.getBytes(StandardCharsets.UTF_8);
      return this;
    }

    public Builder header(String name, String value) {
      headers.put(name, value.getBytes(StandardCharsets.UTF_8));
      return this;
    }

    /** {@code expected} is a JSON value as Vert.x decodes it (String, Number, Boolean, JsonObject, JsonArray, null). */
    public Builder value(String path, Object expected) {
      if (path.isEmpty() || Arrays.stream(path.split("\\.", -1)).anyMatch(String::isEmpty)) {
        throw ApiError.badRequest("'" + path + "' is not a dotted path such as user.id");
      }
      // 8 and 8.0 are one condition: numbers are kept in one form, so equal filters compare equal
      values.put(path, expected instanceof Number n ? new BigDecimal(n.toString()).stripTrailingZeros() : expected);
      return this;
    }

    public RecordFilter build() {
      if (key == null && headers.isEmpty() && values.isEmpty()) {
        return ALL;
      }
      return new RecordFilter(key, sorted(headers), sorted(values));
    }
  }

  private static <V> Map<String, V> sorted(Map<String, V> m) {
    return Collections.unmodifiableMap(new TreeMap<>(m));
  }

  /**
   * A filter a record passes only when it passes both. Conditions of both are kept; where both name the key, one
   * header or one value path with different values, no record can pass and the result is {@link #NONE}, never
   * the looser of the two. Equal conditions give an equal filter, whichever filter held them.
   */
  public RecordFilter and(RecordFilter other) {
    if (other.isAll() || other.equals(this)) {
      return this;
    }
    if (isAll()) {
      return other;
    }
    if (this == NONE || other == NONE || (key != null && other.key != null && !Arrays.equals(key, other.key))) {
      return NONE;
    }
    Map<String, byte[]> h = new TreeMap<>(headers);
    for (Map.Entry<String, byte[]> e : other.headers.entrySet()) {
      byte[] mine = h.putIfAbsent(e.getKey(), e.getValue());
      if (mine != null && !Arrays.equals(mine, e.getValue())) {
        return NONE;
      }
    }
    Map<String, Object> v = new TreeMap<>(values);
    for (Map.Entry<String, Object> e : other.values.entrySet()) {
      if (!v.containsKey(e.getKey())) {
        v.put(e.getKey(), e.getValue());
      } else if (!jsonEquals(v.get(e.getKey()), e.getValue())) {
        return NONE;
      }
    }
    return new RecordFilter(key != null ? key : other.key, sorted(h), sorted(v));
  }

  public boolean isAll() {
    return this == ALL;
  }

  /** True when the filter tests the value, which then has to be parsed. */
  public boolean readsValue() {
    return !values.isEmpty();
  }

  /** Evaluates the filter, parsing the value if it has to. */
  public boolean matches(ConsumerRecord<byte[], byte[]> r) {
    return matches(r, readsValue() ? parseValue(r.value()) : null);
  }

  /** Evaluates the filter with a value already parsed by {@link #parseValue}. */
  public boolean matches(ConsumerRecord<byte[], byte[]> r, Object parsedValue) {
    if (this == NONE) {
      return false;
    }
    if (key != null && (r.key() == null || !Arrays.equals(key, r.key()))) {
      return false;
    }
    for (Map.Entry<String, byte[]> want : headers.entrySet()) {
      Header h = r.headers().lastHeader(want.getKey());
      if (h == null || h.value() == null || !Arrays.equals(want.getValue(), h.value())) {
        return false;
      }
    }
    int i = 0;
    for (Object expected : values.values()) {
      Object actual = at(parsedValue, paths.get(i++));
      if (actual == MISSING || !jsonEquals(expected, actual)) {
        return false;
      }
    }
    return true;
  }

  /** A record value as a JSON tree, or a marker that it is not JSON (so no value condition can match). */
  public static Object parseValue(byte[] value) {
    if (value == null || RecordEncoder.classify(value) != RecordEncoder.Form.JSON) {
      return MISSING;
    }
    try {
      return Json.decodeValue(Buffer.buffer(value));
    } catch (DecodeException e) {
      return MISSING;
    }
  }

  private static Object at(Object root, String[] path) {
    Object node = root;
    for (String segment : path) {
      if (node instanceof JsonObject o && o.containsKey(segment)) {
        node = o.getValue(segment);
      } else if (node instanceof JsonArray a && isIndex(segment) && Integer.parseInt(segment) < a.size()) {
        node = a.getValue(Integer.parseInt(segment));
      } else {
        return MISSING;
      }
    }
    return node;
  }

  private static boolean isIndex(String s) {
    return s.length() <= 9 && s.chars().allMatch(Character::isDigit);
  }

  /** JSON equality: numbers by value (7 equals 7.0), everything else as Vert.x compares it. */
  static boolean jsonEquals(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return new BigDecimal(x.toString()).compareTo(new BigDecimal(y.toString())) == 0;
    }
    return Objects.equals(a, b);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RecordFilter f && f.canonical.equals(canonical);
  }

  @Override
  public int hashCode() {
    return canonical.hashCode();
  }

  @Override
  public String toString() {
    return canonical;
  }
}
