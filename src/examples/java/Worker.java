// A consumer-group worker over WebSocket with the JDK alone: Kafka shares the partitions among all workers of
// the group, on any gateway; each record is committed once processed, so a worker that dies loses nothing.
//   java Worker.java billing orders
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class Worker {
  static final Pattern RECORD = Pattern.compile("^\\{\"type\":\"record\",\"topic\":\"([^\"]+)\",\"partition\":(\\d+),\"offset\":(\\d+)");

  public static void main(String[] args) throws Exception {
    String url = System.getenv().getOrDefault("TIDEGATE_WS", "ws://localhost:8080/ws");
    String group = args.length > 0 ? args[0] : "billing";
    String topic = args.length > 1 ? args[1] : "orders";
    while (true) {
      CompletableFuture<Void> closed = new CompletableFuture<>();
      try {
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
            .buildAsync(URI.create(url), new Listener(closed)).join();
        ws.sendText("{\"type\":\"subscribe\",\"id\":\"join\",\"topics\":[\"" + topic + "\"],\"group\":\"" + group
            + "\",\"from\":\"earliest\"}", true);
        closed.join();
      } catch (Exception e) {
        System.err.println("disconnected: " + e.getMessage());
      }
      Thread.sleep(1000);
    }
  }

  record Listener(CompletableFuture<Void> closed) implements WebSocket.Listener {
    static final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String frame = partial.toString();
        partial.setLength(0);
        Matcher m = RECORD.matcher(frame);
        if (m.find()) {
          System.out.println("processing " + frame); // do the work, then commit it (one send at a time)
          return ws.sendText("{\"type\":\"commit\",\"topic\":\"" + m.group(1) + "\",\"partition\":" + m.group(2)
              + ",\"offset\":" + m.group(3) + "}", true).thenRun(() -> ws.request(1));
        } else {
          System.err.println(frame); // subscribed, assigned, revoked, committed, error
        }
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
