package io.tidegate.ws;

import io.tidegate.error.ApiError;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/** A subscription's filter: the key, and header values, that a record must have. Evaluated on the gateway. */
record RecordFilter(byte[] key, Map<String, byte[]> headers) {
  static final RecordFilter ALL = new RecordFilter(null, Map.of());

  /** From {@code {"key":"u1","headers":{"event-type":"user.created"}}}; null means no filter. */
  static RecordFilter parse(Object json) {
    if (json == null) {
      return ALL;
    }
    if (!(json instanceof JsonObject f)) {
      throw ApiError.badRequest("'filter' must be an object with 'key' and/or 'headers'");
    }
    byte[] key = null;
    Map<String, byte[]> headers = new LinkedHashMap<>();
    for (String name : f.fieldNames()) {
      Object v = f.getValue(name);
      switch (name) {
        case "key" -> {
          if (!(v instanceof String s)) {
            throw ApiError.badRequest("'filter.key' must be a string");
          }
          key = s.getBytes(StandardCharsets.UTF_8);
        }
        case "headers" -> {
          if (!(v instanceof JsonObject h)) {
            throw ApiError.badRequest("'filter.headers' must be an object of strings");
          }
          for (String hn : h.fieldNames()) {
            if (!(h.getValue(hn) instanceof String hv)) {
              throw ApiError.badRequest("'filter.headers." + hn + "' must be a string");
            }
            headers.put(hn, hv.getBytes(StandardCharsets.UTF_8));
          }
        }
        default -> throw ApiError.badRequest("unknown filter field '" + name + "' (a filter has key, headers)");
      }
    }
    return new RecordFilter(key, Map.copyOf(headers));
  }

  boolean matches(ConsumerRecord<byte[], byte[]> r) {
    if (key != null && (r.key() == null || !Arrays.equals(key, r.key()))) {
      return false;
    }
    for (Map.Entry<String, byte[]> want : headers.entrySet()) {
      Header h = r.headers().lastHeader(want.getKey());
      if (h == null || h.value() == null || !Arrays.equals(want.getValue(), h.value())) {
        return false;
      }
    }
    return true;
  }
}
