package io.tidegate.testing;

import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A gateway in a JVM of its own ({@code java -cp <the test classpath> io.tidegate.Main}) on the suite's broker,
 * so that it can be sent SIGTERM ({@link #terminate}) or SIGKILL ({@link #kill}). Its output goes to a file.
 */
public final class GatewayProcess implements AutoCloseable {
  private final Process process;
  private final File out;
  private final int port;

  private GatewayProcess(Process process, File out, int port) {
    this.process = process;
    this.out = out;
    this.port = port;
  }

  /** Starts a gateway with these settings (environment variables, as a user sets them) and waits until ready. */
  public static GatewayProcess start(Map<String, String> settings) {
    try {
      int port = freePort();
      File out = File.createTempFile("gateway", ".log", new File("target"));
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
          System.getProperty("java.class.path"), "io.tidegate.Main").redirectErrorStream(true).redirectOutput(out);
      Map<String, String> env = new HashMap<>(settings);
      env.put("TIDEGATE_HTTP_PORT", String.valueOf(port));
      env.putIfAbsent("KAFKA_BOOTSTRAP_SERVERS", KafkaBrokerExtension.bootstrapServers());
      pb.environment().putAll(env);
      return new GatewayProcess(pb.start(), out, port);
    } catch (IOException e) {
      throw new AssertionError("cannot start a gateway process", e);
    }
  }

  /** Waits until {@code /health/ready} answers 200. */
  public GatewayProcess awaitReady() {
    Awaits.until("the gateway process is ready", Duration.ofSeconds(90), () -> {
      if (!process.isAlive()) {
        throw new AssertionError("the gateway exited: " + log());
      }
      try {
        return Http.get(url("/health/ready")).status() == 200;
      } catch (RuntimeException e) {
        return false;
      }
    });
    return this;
  }

  public int port() {
    return port;
  }

  public String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** SIGTERM (the JVM's shutdown hook runs the graceful stop). Does not wait. */
  public void terminate() {
    process.destroy();
  }

  /** SIGKILL: the process is gone at once, nothing runs. */
  public void kill() {
    process.destroyForcibly();
  }

  /** Waits for the process to exit; answers its exit code. */
  public int awaitExit(Duration max) {
    try {
      if (!process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("the gateway did not exit within " + max + ": " + log());
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public String log() {
    try {
      return Files.readString(out.toPath(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** What a one-request connection got: refused at connect, an answer, or cut (reset or closed) without one. */
  public record Exchange(Kind kind, int status, String head, String body, String error) {
    public enum Kind { REFUSED, ANSWERED, CUT }
  }

  /**
   * One request on a fresh connection ({@code Connection: close}), read to the end: what a client sees. A
   * connection that is refused is {@code REFUSED}; one that was accepted but ended (reset, or closed) before a
   * whole answer is {@code CUT}.
   */
  public Exchange exchange(String method, String path, String contentType, String body, String... headers) {
    byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    StringBuilder req = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .append("Connection: close\r\n");
    if (body != null) {
      req.append("Content-Type: ").append(contentType).append("\r\nContent-Length: ").append(content.length).append("\r\n");
    }
    for (int i = 0; i + 1 < headers.length; i += 2) {
      req.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    req.append("\r\n");
    Socket s = new Socket();
    try {
      try {
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      } catch (ConnectException e) {
        return new Exchange(Exchange.Kind.REFUSED, 0, null, null, e.toString());
      }
      s.setSoTimeout(60_000);
      OutputStream o = s.getOutputStream();
      o.write(req.toString().getBytes(StandardCharsets.US_ASCII));
      o.write(content);
      o.flush();
      InputStream in = s.getInputStream();
      byte[] all = in.readAllBytes();
      String text = new String(all, StandardCharsets.UTF_8);
      int split = text.indexOf("\r\n\r\n");
      if (!text.startsWith("HTTP/1.1 ") || split < 0) {
        return new Exchange(Exchange.Kind.CUT, 0, text, null, "closed after " + all.length + " bytes");
      }
      String head = text.substring(0, split);
      String rest = text.substring(split + 4);
      int status = Integer.parseInt(text.substring(9, 12));
      return new Exchange(Exchange.Kind.ANSWERED, status, head, rest, null);
    } catch (IOException e) {
      return new Exchange(Exchange.Kind.CUT, 0, null, null, e.toString());
    } finally {
      try {
        s.close();
      } catch (IOException e) {
        // closing
      }
    }
  }

  /** The JSON body of an answered exchange (chunked or not: the gateway's problem bodies are one line). */
  public static JsonObject json(Exchange e) {
    String b = e.body().trim();
    int start = b.indexOf('{');
    int end = b.lastIndexOf('}');
    return new JsonObject(b.substring(start, end + 1));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
