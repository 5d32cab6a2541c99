package io.tidegate.testing;

import com.launchdarkly.eventsource.ConnectStrategy;
import com.launchdarkly.eventsource.ErrorStrategy;
import com.launchdarkly.eventsource.EventSource;
import com.launchdarkly.eventsource.MessageEvent;
import com.launchdarkly.eventsource.StreamEvent;
import com.launchdarkly.logging.LDLogger;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real SSE client (LaunchDarkly's okhttp-eventsource), read on a thread of its own. Like a browser's
 * EventSource it reconnects when the stream drops, sending the last id it received as {@code Last-Event-ID}.
 */
public final class SseClient implements AutoCloseable {
  /** One event as the client saw it: its name, its data (lines joined), and the last event id at that point. */
  public record Event(String name, String data, String id) {
    public JsonObject json() {
      return new JsonObject(data);
    }
  }

  private final EventSource source;
  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final Thread reader;
  private volatile boolean closing;

  private SseClient(EventSource source) {
    this.source = source;
    reader = new Thread(this::read, "sse-client");
    reader.setDaemon(true);
    reader.start();
  }

  public static SseClient open(String url) {
    return open(url, null);
  }

  /** Opens a stream; {@code lastEventId}, when given, is sent as Last-Event-ID on the first connection too. */
  public static SseClient open(String url, String lastEventId) {
    EventSource.Builder b = new EventSource.Builder(ConnectStrategy.http(URI.create(url))
        .readTimeout(30, TimeUnit.SECONDS))
        .errorStrategy(ErrorStrategy.alwaysContinue())
        .retryDelay(100, TimeUnit.MILLISECONDS)
        .logger(LDLogger.none());
    if (lastEventId != null) {
      b.lastEventId(lastEventId);
    }
    return new SseClient(b.build());
  }

  private void read() {
    try {
      for (StreamEvent e : source.anyEvents()) {
        if (e instanceof MessageEvent m) {
          events.add(new Event(m.getEventName(), m.getData(), m.getLastEventId()));
        } else if (e instanceof com.launchdarkly.eventsource.StartedEvent) {
          connections.incrementAndGet();
        }
        if (closing) {
          return;
        }
      }
    } catch (RuntimeException e) {
      if (!closing) {
        throw e;
      }
    }
  }

  public List<Event> events() {
    return List.copyOf(events);
  }

  public List<Event> named(String name) {
    List<Event> out = new ArrayList<>();
    for (Event e : events) {
      if (e.name().equals(name)) {
        out.add(e);
      }
    }
    return out;
  }

  /** The records received, in arrival order. */
  public List<JsonObject> records() {
    return named("record").stream().map(Event::json).toList();
  }

  public void awaitRecords(int n) {
    Awaits.until(n + " SSE records (have " + named("record").size() + ")", java.time.Duration.ofSeconds(60),
        () -> named("record").size() >= n);
  }

  /** Connections made so far (the first one, then one per reconnect). */
  public int connections() {
    return connections.get();
  }

  public String lastEventId() {
    return source.getLastEventId();
  }

  /** Drops the current connection; the client reconnects with Last-Event-ID, as a browser would. */
  public void dropConnection() {
    source.interrupt();
  }

  @Override
  public void close() {
    closing = true;
    source.close();
    try {
      reader.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
