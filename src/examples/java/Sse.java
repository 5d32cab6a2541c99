// Read Server-Sent Events with the JDK alone, resuming with Last-Event-ID after a drop.
//   java Sse.java orders [payments ...]
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Iterator;

public class Sse {
  public static void main(String[] args) throws Exception {
    String base = System.getenv().getOrDefault("TIDEGATE_URL", "http://localhost:8080");
    String topics = "topic=" + String.join("&topic=", args.length > 0 ? args : new String[] {"orders"});
    HttpClient http = HttpClient.newHttpClient();
    String lastId = null;
    while (true) {
      try {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(base + "/events?" + topics + "&from=earliest"));
        if (lastId != null) {
          req.header("Last-Event-ID", lastId); // resume right after the last event received
        }
        Iterator<String> lines = http.send(req.build(), HttpResponse.BodyHandlers.ofLines()).body().iterator();
        String event = "message";
        StringBuilder data = new StringBuilder();
        String id = null;
        while (lines.hasNext()) {
          String line = lines.next();
          if (line.isEmpty()) { // a blank line ends an event
            if (data.length() > 0 && event.equals("record")) {
              System.out.println(data);
            }
            lastId = id != null ? id : lastId;
            event = "message";
            data.setLength(0);
          } else if (line.startsWith("event:")) {
            event = line.substring(6).strip();
          } else if (line.startsWith("data:")) {
            data.append(data.length() > 0 ? "\n" : "").append(line.substring(line.startsWith("data: ") ? 6 : 5));
          } else if (line.startsWith("id:")) {
            id = line.substring(3).strip();
          }
        }
      } catch (Exception e) {
        System.err.println("disconnected: " + e.getMessage() + "; resuming after " + lastId);
      }
      Thread.sleep(1000);
    }
  }
}
