// Tail topics over WebSocket with the JDK alone, resuming from the offsets last seen after a drop.
//   java Subscribe.java orders [payments ...]
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class Subscribe {
  static final Pattern FIELDS = Pattern.compile("\"topic\":\"([^\"]+)\",\"partition\":(\\d+),\"offset\":(\\d+)");
  /** topic -> partition -> next offset: the client's whole position. */
  static final Map<String, Map<String, Long>> next = new ConcurrentHashMap<>();

  public static void main(String[] args) throws Exception {
    String url = System.getenv().getOrDefault("TIDEGATE_WS", "ws://localhost:8080/ws");
    String topics = "[\"" + String.join("\",\"", args.length > 0 ? args : new String[] {"orders"}) + "\"]";
    while (true) {
      CompletableFuture<Void> closed = new CompletableFuture<>();
      try {
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(url), new Listener(closed)).join();
        String from = next.isEmpty() ? "\"latest\"" : "{\"offsets\":" + json(next) + "}";
        ws.sendText("{\"type\":\"subscribe\",\"id\":\"s\",\"topics\":" + topics + ",\"from\":" + from + "}", true);
        closed.join();
      } catch (Exception e) {
        System.err.println("disconnected: " + e.getMessage());
      }
      Thread.sleep(1000);
    }
  }

  static String json(Map<String, Map<String, Long>> offsets) {
    StringBuilder b = new StringBuilder("{");
    offsets.forEach((t, ps) -> {
      b.append(b.length() > 1 ? "," : "").append('"').append(t).append("\":{");
      String inner = ps.entrySet().stream().map(e -> "\"" + e.getKey() + "\":" + e.getValue())
          .reduce((x, y) -> x + "," + y).orElse("");
      b.append(inner).append('}');
    });
    return b.append('}').toString();
  }

  record Listener(CompletableFuture<Void> closed) implements WebSocket.Listener {
    static final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String frame = partial.toString();
        partial.setLength(0);
        Matcher m = FIELDS.matcher(frame);
        if (frame.startsWith("{\"type\":\"record\"") && m.find()) {
          next.computeIfAbsent(m.group(1), t -> new ConcurrentHashMap<>()).put(m.group(2), Long.parseLong(m.group(3)) + 1);
        }
        System.out.println(frame);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
      closed.complete(null);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete(null);
    }
  }
}
