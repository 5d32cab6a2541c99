package io.tidegate.transport.sse;

import io.tidegate.auth.Access;
import io.tidegate.auth.AuthPolicy;
import io.tidegate.auth.Deadlines;
import io.tidegate.auth.Identity;
import io.tidegate.auth.SubjectLimits;

import io.tidegate.stream.StreamContext;

import io.tidegate.error.ApiError;
import io.tidegate.transport.wire.Wire;
import io.tidegate.error.Problems;
import io.tidegate.codec.RecordFilter;
import io.tidegate.codec.TopicNames;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /events?topic=a&topic=b&from=...}: Server-Sent Events on the same shared live feed, filters and
 * per-client byte budget as {@code /ws}. A reconnect with {@code Last-Event-ID} (or {@code ?lastEventId=}, for
 * clients that cannot set headers) resumes after the last event received.
 */
public final class SseEndpoint {
  private static final Set<String> PARAMS = Set.of("topic", "from", "key", "lastEventId", "access_token");

  private final StreamContext context;
  private final Set<SseSession> open = new HashSet<>();
  private final long heartbeatTimer;
  private final AuthPolicy policy;
  /** When this loop's streams' tokens lapse: one timer for them all. */
  private final Deadlines deadlines;

  /** Call on the event loop that will serve these streams; shares that loop's fan-out with {@code /ws}. */
  public SseEndpoint(StreamContext context, java.time.Duration heartbeat, AuthPolicy policy) {
    this.context = context;
    this.policy = policy;
    this.deadlines = new Deadlines(context.context().owner());
    long every = heartbeat.toMillis();
    heartbeatTimer = context.context().owner().setPeriodic(every, every, t -> List.copyOf(open).forEach(SseSession::heartbeat));
  }

  public void handle(RoutingContext ctx) {
    MultiMap q = ctx.queryParams();
    for (String name : q.names()) {
      if (!PARAMS.contains(name) && !name.startsWith("header.") && !name.startsWith("value.") && !name.startsWith("_")) {
        throw ApiError.badRequest("unknown parameter '" + name + "' (topic, from, key, header.<name>, value.<path>, lastEventId)");
      }
    }
    List<String> topics = new ArrayList<>();
    for (String t : q.getAll("topic")) {
      for (String name : t.split(",")) {
        if (!name.isEmpty() && !topics.contains(name)) {
          topics.add(TopicNames.validate(name));
        }
      }
    }
    if (topics.isEmpty()) {
      throw ApiError.badRequest("name at least one topic: /events?topic=orders&topic=payments");
    }
    Access access = policy.access(Identity.of(ctx)); // verified before the stream starts (IdentityHandler)
    topics.forEach(access::subscribe);
    int most = context.config().maxTopicsPerSubscribe();
    if (topics.size() > most) {
      throw ApiError.badRequest("a stream reads at most " + most + " topics (" + topics.size()
          + " given; limits.maxTopicsPerSubscribe)");
    }
    RecordFilter filter = filter(q);
    Object from = from(q.get("from"));
    String lastId = ctx.request().getHeader("Last-Event-ID");
    if (lastId == null) {
      lastId = q.get("lastEventId");
    }
    Map<String, Map<Integer, Long>> resume = lastId == null || lastId.isBlank() ? null : SseCursor.parse(lastId.trim());

    // limits.maxConnectionsPerSubject: refused with 429 before the stream starts, counted until it ends
    SubjectLimits.Slot slot = access.openConnection();
    List<Future<Void>> lookups = new ArrayList<>();
    Map<String, Integer> partitions = new HashMap<>();
    try {
      var lookup = context.topics().batch(topics);
      for (String topic : topics) {
        lookups.add(lookup.apply(topic).map(info -> {
          partitions.put(topic, info.partitions());
          return null;
        }));
      }
    } catch (RuntimeException e) {
      slot.release();
      throw e;
    }
    Future.all(lookups).onComplete(ar -> {
      HttpServerResponse response = ctx.response();
      if (ar.failed()) {
        slot.release();
        Problems.send(ctx, ar.cause());
        return;
      }
      if (response.closed()) {
        slot.release();
        return;
      }
      if (resume != null) {
        for (Map.Entry<String, Map<Integer, Long>> e : resume.entrySet()) {
          Integer n = partitions.get(e.getKey());
          for (int p : e.getValue().keySet()) {
            if (n != null && p >= n) {
              slot.release();
              Problems.send(ctx, ApiError.badRequest("Last-Event-ID names partition " + p + " of topic '" + e.getKey()
                  + "', which has no partition " + p));
              return;
            }
          }
        }
      }
      response.setChunked(true)
          .putHeader("Content-Type", "text/event-stream; charset=utf-8")
          .putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no")
          .putHeader("Content-Encoding", "identity"); // compressing would hold events back
      Wire.consolidateFlushes(ctx.request().connection());
      Wire.leanQueues(ctx.request().connection()); // ~4.7 KiB less per idle stream
      context.sessions().incrementAndGet();
      SseSession[] self = new SseSession[1];
      self[0] = new SseSession(response, context, topics, () -> {
        open.remove(self[0]);
        slot.release();
        deadlines.unwatch(self[0]);
      });
      open.add(self[0]);
      // at exp + skew the stream ends with an error event after its last record's id (resume with a new token)
      deadlines.watch(self[0], policy.lapsesAtMs(access.identity()), () -> self[0].expire(policy.expired()));
      response.write("retry: 2000\n\n");
      self[0].start(t -> access.filterFor(t, filter), from, resume, partitions);
    });
  }

  /** {@code key=}, {@code header.<name>=}, {@code value.<dotted.path>=} (a JSON value, else the text itself). */
  private static RecordFilter filter(MultiMap q) {
    RecordFilter.Builder b = new RecordFilter.Builder();
    if (q.get("key") != null) {
      b.key(q.get("key"));
    }
    for (String name : q.names()) {
      if (name.startsWith("header.")) {
        b.header(name.substring("header.".length()), q.get(name));
      } else if (name.startsWith("value.")) {
        String raw = q.get(name);
        Object expected;
        try {
          expected = Json.decodeValue(raw);
        } catch (DecodeException e) {
          expected = raw;
        }
        b.value(name.substring("value.".length()), expected);
      }
    }
    return b.build();
  }

  /** {@code latest} (the default), {@code earliest}, or epoch milliseconds. */
  private static Object from(String raw) {
    if (raw == null || raw.equals("latest")) {
      return "latest";
    }
    if (raw.equals("earliest")) {
      return raw;
    }
    try {
      long ms = Long.parseLong(raw);
      if (ms >= 0) {
        return new JsonObject().put("timestamp", ms);
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw ApiError.badRequest("'from' is latest, earliest or epoch milliseconds, not '" + raw + "'");
  }

  /**
   * Graceful stop: every stream gets {@code event: draining} and ends after its last record's id; browsers
   * reconnect (to another gateway) with their Last-Event-ID.
   */
  public void closeAll() {
    context.context().owner().cancelTimer(heartbeatTimer);
    deadlines.stop();
    List.copyOf(open).forEach(SseSession::drain);
  }
}
