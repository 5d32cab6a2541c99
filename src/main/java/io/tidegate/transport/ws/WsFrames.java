package io.tidegate.transport.ws;

import io.tidegate.codec.TopicNames;
import io.tidegate.error.ApiError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Reading the fields that several WebSocket messages share. */
final class WsFrames {
  private WsFrames() {}

  /**
   * {@code "topics"}: a non-empty array of at most {@code most} valid topic names, without repeats, in the
   * order given.
   */
  static List<String> topics(JsonObject msg, int most) {
    Object raw = msg.getValue("topics");
    if (!(raw instanceof JsonArray arr) || arr.isEmpty()) {
      throw ApiError.badRequest("'topics' must be a non-empty array of topic names");
    }
    if (arr.size() > most) {
      throw ApiError.badRequest("a message names at most " + most + " topics (" + arr.size()
          + " given; limits.maxTopicsPerSubscribe)");
    }
    Set<String> out = new LinkedHashSet<>();
    for (Object o : arr) {
      if (!(o instanceof String s)) {
        throw ApiError.badRequest("'topics' must hold strings");
      }
      out.add(TopicNames.validate(s));
    }
    return new ArrayList<>(out);
  }
}
