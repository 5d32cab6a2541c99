package io.tidegate.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A WebSocket proxy in front of a test gateway's {@code /ws}, for client tests: it forwards every frame both
 * ways, records the {@code access_token} of each handshake, and can play the gateway's side of what the gateway
 * under test may not do yet: close every socket as an expired token (the contract's last {@code error} 401 frame,
 * then 1008), and answer {@code auth} frames itself (accept or refuse them).
 */
public final class WsProxy implements AutoCloseable {
  /** What becomes of a client's {@code {"type":"auth"}} frame. */
  public enum AuthFrames { PASS, ACCEPT, REFUSE }

  private final WebSocketClient upstream;
  private final HttpServer server;
  private final int gatewayPort;
  private final Map<ServerWebSocket, WebSocket> pairs = new ConcurrentHashMap<>();
  private final List<String> handshakeTokens = new ArrayList<>();
  private final List<String> authTokens = new ArrayList<>();
  private volatile AuthFrames authFrames = AuthFrames.PASS;
  /** Ids of the auth frames the proxy answered itself. */
  private final java.util.Set<String> answered = ConcurrentHashMap.newKeySet();

  private WsProxy(Vertx vertx, TestGateway gw) {
    this.gatewayPort = Integer.parseInt(gw.url("").replaceAll(".*:(\\d+)$", "$1"));
    this.upstream = vertx.createWebSocketClient();
    this.server = Awaits.result(vertx.createHttpServer()
        .requestHandler(req -> req.toWebSocket().onSuccess(this::accept)).listen(0, "127.0.0.1"));
  }

  public static WsProxy start(Vertx vertx, TestGateway gw) {
    return new WsProxy(vertx, gw);
  }

  /** The proxy's {@code ws://} address of {@code /ws}. */
  public String url() {
    return "ws://127.0.0.1:" + server.actualPort() + "/ws";
  }

  public void authFrames(AuthFrames mode) {
    this.authFrames = mode;
  }

  /** The {@code access_token} of every handshake so far, in order (null for one without). */
  public List<String> handshakeTokens() {
    synchronized (handshakeTokens) {
      return new ArrayList<>(handshakeTokens);
    }
  }

  /** The tokens of the {@code auth} frames clients sent, in order. */
  public List<String> authTokens() {
    synchronized (authTokens) {
      return new ArrayList<>(authTokens);
    }
  }

  public int openSockets() {
    return pairs.size();
  }

  /** Every socket ends as the contract says a socket whose token expired does: an error 401, then close 1008. */
  public void expireAll() {
    pairs.forEach((client, gateway) -> client.writeTextMessage(new JsonObject().put("type", "error").put("status", 401)
        .put("title", "Unauthorized").put("detail", "the token expired").put("offsets", new JsonObject()).encode())
        .onComplete(v -> client.close((short) 1008, "token expired")));
  }

  private void accept(ServerWebSocket client) {
    client.pause();
    String query = client.query() == null ? "" : client.query();
    String token = null;
    for (String kv : query.split("&")) {
      if (kv.startsWith("access_token=")) {
        token = URLDecoder.decode(kv.substring("access_token=".length()), StandardCharsets.UTF_8);
      }
    }
    synchronized (handshakeTokens) {
      handshakeTokens.add(token);
    }
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(gatewayPort)
        .setURI(client.uri());
    upstream.connect(o).onComplete(ar -> {
      if (ar.failed()) {
        client.close((short) 1011, "gateway refused the handshake");
        return;
      }
      WebSocket gateway = ar.result();
      pairs.put(client, gateway);
      gateway.textMessageHandler(text -> fromGateway(client, text));
      gateway.closeHandler(v -> {
        pairs.remove(client);
        Short code = gateway.closeStatusCode();
        if (!client.isClosed()) {
          client.close(code == null ? 1000 : code, gateway.closeReason());
        }
      });
      client.textMessageHandler(text -> fromClient(client, gateway, text));
      client.closeHandler(v -> {
        pairs.remove(client);
        if (!gateway.isClosed()) {
          gateway.close();
        }
      });
      client.resume();
    });
  }

  private void fromClient(ServerWebSocket client, WebSocket gateway, String text) {
    JsonObject frame = new JsonObject(text);
    if (!"auth".equals(frame.getString("type")) || authFrames == AuthFrames.PASS) {
      if ("auth".equals(frame.getString("type"))) {
        record(frame);
      }
      gateway.writeTextMessage(text);
      return;
    }
    record(frame);
    if (authFrames == AuthFrames.ACCEPT) {
      // the gateway gets the token too (so that one which expires sockets keeps this one), its answer is dropped
      answered.add(String.valueOf(frame.getValue("id")));
      gateway.writeTextMessage(text);
      client.writeTextMessage(new JsonObject().put("type", "authenticated").put("id", frame.getValue("id"))
          .put("exp", Jwts.now() + 300).encode());
    } else {
      // as a gateway without the frame answers it
      client.writeTextMessage(new JsonObject().put("type", "error").put("id", frame.getValue("id")).put("status", 400)
          .put("title", "Bad Request").put("detail", "unknown type 'auth'").encode());
    }
  }

  private void fromGateway(ServerWebSocket client, String text) {
    if (!answered.isEmpty() && !text.startsWith("{\"type\":\"record\"")) {
      JsonObject frame = new JsonObject(text);
      String type = frame.getString("type");
      if (("error".equals(type) || "authenticated".equals(type)) && answered.contains(String.valueOf(frame.getValue("id")))) {
        return;
      }
    }
    client.writeTextMessage(text);
  }

  private void record(JsonObject frame) {
    synchronized (authTokens) {
      authTokens.add(frame.getString("token"));
    }
  }

  @Override
  public void close() {
    pairs.keySet().forEach(ServerWebSocket::close);
    Awaits.result(server.close());
    Awaits.result(upstream.close());
  }
}
