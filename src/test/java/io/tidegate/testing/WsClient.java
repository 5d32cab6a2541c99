package io.tidegate.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** A real WebSocket client (Vert.x) that records every frame it receives. */
public final class WsClient implements AutoCloseable {
  /** Held on purpose: Vert.x closes a client's connections once the client object is garbage-collected. */
  private final WebSocketClient client;
  private final WebSocket ws;
  /** Raw text as received: parsing happens on the test thread, not on the client's event loop. */
  private final List<String> frames = new ArrayList<>();
  private volatile Short closeCode;
  private volatile long closedAtMs;

  private WsClient(WebSocketClient client, WebSocket ws) {
    this.client = client;
    this.ws = ws;
    ws.textMessageHandler(t -> {
      synchronized (frames) {
        frames.add(t);
      }
    });
    ws.closeHandler(v -> {
      closedAtMs = System.currentTimeMillis();
      closeCode = ws.closeStatusCode() == null ? -1 : ws.closeStatusCode();
    });
  }

  public static WsClient connect(Vertx vertx, TestGateway gw) {
    return connect(vertx, gw, 2 * 1024 * 1024);
  }

  public static WsClient connect(Vertx vertx, TestGateway gw, int maxFrame) {
    return connect(vertx, gw, maxFrame, -1);
  }

  /** With {@code receiveBufferBytes} > 0, the socket's kernel receive buffer is that small (SO_RCVBUF). */
  public static WsClient connect(Vertx vertx, TestGateway gw, int maxFrame, int receiveBufferBytes) {
    return connect(vertx, gw, maxFrame, receiveBufferBytes, "/ws");
  }

  /** With a bearer token for a gateway in {@code auth.mode} jwt (as a browser sends it: in the query). */
  public static WsClient connect(Vertx vertx, TestGateway gw, String token) {
    return connect(vertx, gw, 2 * 1024 * 1024, -1, "/ws?access_token=" + token);
  }

  /** To a gateway on {@code port} of this host (one in a process of its own: {@link GatewayProcess}). */
  public static WsClient connect(Vertx vertx, int port) {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(2 * 1024 * 1024)
        .setMaxMessageSize(2 * 1024 * 1024));
    return new WsClient(client, Awaits.result(client.connect(
        new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws"))));
  }

  private static WsClient connect(Vertx vertx, TestGateway gw, int maxFrame, int receiveBufferBytes, String uri) {
    WebSocketClientOptions options = new WebSocketClientOptions().setMaxFrameSize(maxFrame).setMaxMessageSize(maxFrame);
    if (receiveBufferBytes > 0) {
      options.setReceiveBufferSize(receiveBufferBytes);
    }
    WebSocketClient client = vertx.createWebSocketClient(options);
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1")
        .setPort(Integer.parseInt(gw.url("").replaceAll(".*:(\\d+)$", "$1"))).setURI(uri);
    return new WsClient(client, Awaits.result(client.connect(o)));
  }

  public WsClient send(JsonObject frame) {
    Awaits.result(ws.writeTextMessage(frame.encode()));
    return this;
  }

  public WsClient sendText(String text) {
    Awaits.result(ws.writeTextMessage(text));
    return this;
  }

  public WebSocket socket() {
    return ws;
  }

  public List<JsonObject> frames() {
    List<String> copy;
    synchronized (frames) {
      copy = new ArrayList<>(frames);
    }
    return copy.stream().map(JsonObject::new).toList();
  }

  private int count(String marker) {
    synchronized (frames) {
      int n = 0;
      for (String f : frames) {
        if (f.startsWith(marker)) {
          n++;
        }
      }
      return n;
    }
  }

  /** How many frames of this type have arrived (counted without parsing them). */
  public int countType(String type) {
    return count("{\"type\":\"" + type + "\"");
  }

  /** How many records have arrived (counted without parsing them). */
  public int recordCount() {
    return count("{\"type\":\"record\"");
  }

  public List<JsonObject> records() {
    return frames().stream().filter(f -> "record".equals(f.getString("type"))).toList();
  }

  /** The first frame matching, waiting for it. */
  public JsonObject await(Predicate<JsonObject> match) {
    JsonObject[] found = new JsonObject[1];
    Awaits.until("a matching frame arrives (have: " + lastFew() + ")", Duration.ofSeconds(30), () -> {
      for (JsonObject f : frames()) {
        if (match.test(f)) {
          found[0] = f;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  public JsonObject awaitType(String type, String id) {
    return await(f -> type.equals(f.getString("type")) && (id == null || id.equals(f.getString("id"))));
  }

  public void awaitRecords(int n) {
    try {
      Awaits.until(n + " records arrive", Duration.ofSeconds(60), () -> count("{\"type\":\"record\"") >= n);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + " (have " + records().size() + ", close code " + closeCode
          + ", last frames " + lastFew() + ")");
    }
  }

  public Short closeCode() {
    return closeCode;
  }

  /** When the socket closed (epoch ms, this client's clock), or 0 while open. */
  public long closedAtMs() {
    return closedAtMs;
  }

  /** Waits until the socket is closed and answers its close code (-1: closed without one). */
  public short awaitClose() {
    Awaits.until("the socket closes (last frames " + lastFew() + ")", Duration.ofSeconds(60), () -> closeCode != null);
    return closeCode;
  }

  private String lastFew() {
    List<JsonObject> f = frames();
    return f.subList(Math.max(0, f.size() - 3), f.size()).toString();
  }

  @Override
  public void close() {
    if (closeCode == null) {
      ws.close();
    }
    client.close();
  }
}
