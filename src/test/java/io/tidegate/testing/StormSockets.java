package io.tidegate.testing;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Many WebSocket clients of one topic for a reconnect storm, on plain TCP (a Vert.x {@link NetClient}; the
 * handshake and the framing are done here, so a connection can end without a close frame). Each client can be
 * dropped abruptly, its TCP connection reset as a load balancer or a network blip does, and reconnects subscribing
 * from the offsets after the last record it received. As records arrive, each client checks that they are
 * contiguous per partition from where it started: every offset once, in order. A subscribe answered 503 (too many
 * catch-up reads at once) is sent again after a random pause under a ceiling that doubles, as tidegate.js does; a connection refused is
 * tried again the same way. Every client lives on one event loop of {@code vertx}; the test thread only reads.
 */
public final class StormSockets implements AutoCloseable {
  private static final long RETRY_INITIAL_MS = 250;
  private static final long RETRY_MAX_MS = 5000;
  private final Vertx vertx;
  private final NetClient net;
  private final int port;
  private final String topic;
  private final int partitions;
  private final List<Client> clients = new ArrayList<>();
  /** The first few problems seen (gaps, duplicates, unexpected frames or closes), for the failure message. */
  private final List<String> problems = new ArrayList<>();
  private final AtomicInteger problemCount = new AtomicInteger();
  private final AtomicInteger retries = new AtomicInteger();
  private final AtomicInteger connectFailures = new AtomicInteger();
  /** Where a client counts as caught up after the drop: the topic's end offsets when the reconnects began. */
  private volatile long[] caughtUpAt;

  public StormSockets(Vertx vertx, int port, String topic, int partitions) {
    this.vertx = vertx;
    // linger 0: closing the socket resets the connection (RST), as a load balancer that drops it does
    this.net = vertx.createNetClient(new NetClientOptions().setSoLinger(0).setConnectTimeout(30_000));
    this.port = port;
    this.topic = topic;
    this.partitions = partitions;
    // load JSON's classes here, not on the clients' event loops (thousands of first subscribes on a busy machine)
    new JsonObject(new JsonObject().put("type", "subscribe").put("topics", new JsonArray().add(topic))
        .put("from", new JsonObject().put("offsets", new JsonObject().put(topic, new JsonObject().put("0", 0L)))).encode());
  }

  /**
   * Connects {@code n} clients, spread over {@code spreadMs}, each subscribing {@code "latest"}: on a topic
   * nothing was written to yet, that is offset 0 of every partition, where each client's check starts.
   */
  public void connect(int n, long spreadMs) {
    for (int i = 0; i < n; i++) {
      Client c = new Client(i);
      clients.add(c);
      long at = spreadMs <= 0 ? 0 : ThreadLocalRandom.current().nextLong(spreadMs);
      c.ctx.runOnContext(v -> c.connectIn(at));
    }
  }

  /** Resets every client's connection at once (no close frame). */
  public void dropAll() {
    clients.forEach(c -> c.ctx.runOnContext(v -> c.drop()));
  }

  /**
   * Reconnects every dropped client, each at a random moment within {@code spreadMs}, subscribing from the offsets
   * after its last record; {@code endOffsets} (the topic's ends now) is where a client counts as caught up.
   */
  public void reconnectAll(long spreadMs, long[] endOffsets) {
    caughtUpAt = endOffsets.clone();
    clients.forEach(c -> c.ctx.runOnContext(v -> c.connectIn(spreadMs <= 0 ? 0 : ThreadLocalRandom.current().nextLong(spreadMs))));
  }

  /** Clients whose subscribe was answered on their current connection. */
  public int subscribed() {
    int n = 0;
    for (Client c : clients) {
      n += c.subscribedAtNanos != 0 ? 1 : 0;
    }
    return n;
  }

  /** Clients that were dropped and have all reconnected and caught up (see {@link #reconnectAll}). */
  public int caughtUp() {
    int n = 0;
    for (Client c : clients) {
      n += c.caughtUpAtNanos != 0 ? 1 : 0;
    }
    return n;
  }

  /** Clients that received every offset before {@code end} on every partition. */
  public int reached(long[] end) {
    int n = 0;
    for (Client c : clients) {
      n += c.reached(end) ? 1 : 0;
    }
    return n;
  }

  /** Clients whose connection is closed, after a drop or otherwise. */
  public int disconnected() {
    int n = 0;
    for (Client c : clients) {
      n += c.socket == null ? 1 : 0;
    }
    return n;
  }

  /** Where the clients stand, for failure messages. */
  public String describe() {
    int open = 0;
    int upgraded = 0;
    long after = 0;
    for (Client c : clients) {
      open += c.socket != null ? 1 : 0;
      upgraded += c.upgraded ? 1 : 0;
      after += c.recordsAfterDrop;
    }
    return clients.size() + " clients: " + open + " connected, " + upgraded + " upgraded, " + subscribed()
        + " subscribed, " + caughtUp() + " caught up; " + after + " records since the drop; " + retries
        + " subscribes retried after a 503; " + connectFailures + " connects failed; " + problemCount + " problems, the first "
        + problems().subList(0, Math.min(3, problems().size()));
  }

  public List<Client> clients() {
    return clients;
  }

  public int problemCount() {
    return problemCount.get();
  }

  public List<String> problems() {
    synchronized (problems) {
      return new ArrayList<>(problems);
    }
  }

  /** Subscribes answered 503 and sent again. */
  public int retries() {
    return retries.get();
  }

  public int connectFailures() {
    return connectFailures.get();
  }

  private void problem(String what) {
    if (problemCount.incrementAndGet() <= 20) {
      synchronized (problems) {
        problems.add(what);
      }
    }
  }

  @Override
  public void close() {
    clients.forEach(c -> c.ctx.runOnContext(v -> c.drop()));
    Awaits.result(net.close());
  }

  /** One client: its connection, and per partition the next offset it expects. */
  public final class Client {
    private final int id;
    private final Context ctx;
    private final AtomicLongArray next = new AtomicLongArray(partitions);
    private NetSocket socket;
    private volatile boolean upgraded;
    private boolean resumed;
    private Buffer pending = Buffer.buffer();
    private Buffer message;
    /** Subscribes answered 503 in a row. */
    private int attempts;
    private volatile long droppedAtNanos;
    private volatile long subscribedAtNanos;
    private volatile long caughtUpAtNanos;
    /** Records received after the drop (the catch-up and what followed). */
    private volatile long recordsAfterDrop;

    private Client(int id) {
      this.id = id;
      this.ctx = vertx.getOrCreateContext(); // from a non-Vert.x thread: a context of its own, on the next event loop
    }

    /** From the drop to the subscribe answered on the new connection, in ms (-1 while not yet). */
    public double resumedMs() {
      return subscribedAtNanos == 0 || droppedAtNanos == 0 ? -1 : (subscribedAtNanos - droppedAtNanos) / 1e6;
    }

    /** From the drop to every record written before the reconnects began received, in ms (-1 while not yet). */
    public double caughtUpMs() {
      return caughtUpAtNanos == 0 || droppedAtNanos == 0 ? -1 : (caughtUpAtNanos - droppedAtNanos) / 1e6;
    }

    public long recordsAfterDrop() {
      return recordsAfterDrop;
    }

    /** The next offset this client expects per partition. */
    public long[] next() {
      long[] out = new long[partitions];
      for (int p = 0; p < partitions; p++) {
        out[p] = next.get(p);
      }
      return out;
    }

    boolean reached(long[] end) {
      for (int p = 0; p < partitions; p++) {
        if (next.get(p) < end[p]) {
          return false;
        }
      }
      return true;
    }

    private void connectIn(long delayMs) {
      if (delayMs <= 0) {
        connect();
      } else {
        vertx.setTimer(delayMs, t -> connect());
      }
    }

    private void connect() {
      net.connect(port, "127.0.0.1").onComplete(ar -> {
        if (ar.failed()) {
          connectFailures.incrementAndGet();
          connectIn(100 + ThreadLocalRandom.current().nextLong(400));
          return;
        }
        NetSocket s = ar.result();
        socket = s;
        upgraded = false;
        pending = Buffer.buffer();
        message = null;
        s.handler(b -> {
          if (socket == s) {
            onData(b);
          }
        });
        s.closeHandler(v -> {
          if (socket == s) {
            socket = null;
            subscribedAtNanos = 0;
            problem("client " + id + ": the gateway closed the connection");
          }
        });
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        s.write("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n\r\n");
      });
    }

    private void drop() {
      NetSocket s = socket;
      socket = null;
      subscribedAtNanos = 0;
      resumed = true;
      if (droppedAtNanos == 0) {
        droppedAtNanos = System.nanoTime();
      }
      if (s != null) {
        s.close(); // linger 0: a reset, no close frame
      }
    }

    private void subscribe() {
      if (socket == null) {
        return;
      }
      JsonObject sub = new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray().add(topic));
      if (!resumed) {
        sub.put("from", "latest");
      } else {
        JsonObject offsets = new JsonObject();
        for (int p = 0; p < partitions; p++) {
          offsets.put(String.valueOf(p), next.get(p));
        }
        sub.put("from", new JsonObject().put("offsets", new JsonObject().put(topic, offsets)));
      }
      send(0x1, sub.encode().getBytes(StandardCharsets.UTF_8));
    }

    /** A masked, final frame, as a client must send. */
    private void send(int opcode, byte[] payload) {
      Buffer f = Buffer.buffer(payload.length + 8).appendByte((byte) (0x80 | opcode));
      if (payload.length < 126) {
        f.appendByte((byte) (0x80 | payload.length));
      } else {
        f.appendByte((byte) (0x80 | 126)).appendUnsignedShort(payload.length);
      }
      byte[] mask = new byte[4];
      ThreadLocalRandom.current().nextBytes(mask);
      f.appendBytes(mask);
      for (int i = 0; i < payload.length; i++) {
        f.appendByte((byte) (payload[i] ^ mask[i % 4]));
      }
      socket.write(f);
    }

    private void onData(Buffer b) {
      pending.appendBuffer(b);
      if (!upgraded) {
        String head = pending.toString(StandardCharsets.ISO_8859_1);
        int end = head.indexOf("\r\n\r\n");
        if (end < 0) {
          return;
        }
        if (!head.startsWith("HTTP/1.1 101")) {
          problem("client " + id + ": handshake refused: " + head.lines().findFirst().orElse(""));
          drop();
          return;
        }
        upgraded = true;
        pending = pending.getBuffer(end + 4, pending.length());
        subscribe();
      }
      int pos = 0;
      int len = pending.length();
      while (len - pos >= 2 && socket != null) {
        int b0 = pending.getUnsignedByte(pos);
        int b1 = pending.getUnsignedByte(pos + 1);
        int header = 2;
        long size = b1 & 0x7F;
        if (size == 126) {
          if (len - pos < 4) {
            break;
          }
          size = pending.getUnsignedShort(pos + 2);
          header = 4;
        } else if (size == 127) {
          if (len - pos < 10) {
            break;
          }
          size = pending.getLong(pos + 2);
          header = 10;
        }
        if (len - pos - header < size) {
          break;
        }
        Buffer payload = pending.getBuffer(pos + header, pos + header + (int) size);
        pos += header + (int) size;
        onFrame((b0 & 0x80) != 0, b0 & 0x0F, payload);
      }
      pending = pos == len ? Buffer.buffer() : pending.getBuffer(pos, len);
    }

    private void onFrame(boolean fin, int opcode, Buffer payload) {
      switch (opcode) {
        case 0x0, 0x1 -> {
          message = message == null ? payload : message.appendBuffer(payload);
          if (fin) {
            String text = message.toString(StandardCharsets.UTF_8);
            message = null;
            onText(text);
          }
        }
        case 0x9 -> send(0xA, payload.getBytes()); // pong
        case 0x8 -> {
          int code = payload.length() >= 2 ? payload.getUnsignedShort(0) : -1;
          problem("client " + id + ": the gateway closed the socket with " + code);
          drop();
        }
        default -> { }
      }
    }

    private void onText(String text) {
      if (text.startsWith("{\"type\":\"record\"")) {
        onRecord((int) number(text, "\"partition\":"), number(text, "\"offset\":"));
        return;
      }
      JsonObject f = new JsonObject(text);
      switch (String.valueOf(f.getString("type"))) {
        case "subscribed" -> {
          attempts = 0;
          subscribedAtNanos = System.nanoTime();
          checkCaughtUp();
        }
        case "error" -> {
          if (f.getInteger("status", 0) == 503 && "s".equals(f.getString("id"))) {
            retries.incrementAndGet();
            // as tidegate.js does: a random pause under a ceiling that doubles, so the retries spread out
            long ceiling = Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS << Math.min(attempts++, 10));
            vertx.setTimer(1 + ThreadLocalRandom.current().nextLong(ceiling), t -> subscribe());
          } else {
            problem("client " + id + ": " + text);
          }
        }
        case "pong" -> { }
        default -> problem("client " + id + ": unexpected frame " + text);
      }
    }

    private void onRecord(int p, long offset) {
      long want = next.get(p);
      if (offset < want) {
        problem("client " + id + ": duplicate: partition " + p + " offset " + offset + ", expected " + want);
        return;
      }
      if (offset > want) {
        problem("client " + id + ": gap: partition " + p + " offsets " + want + ".." + (offset - 1) + " missing");
      }
      next.set(p, offset + 1);
      if (resumed) {
        recordsAfterDrop++;
        checkCaughtUp();
      }
    }

    private void checkCaughtUp() {
      long[] target = caughtUpAt;
      if (caughtUpAtNanos == 0 && target != null && subscribedAtNanos != 0 && reached(target)) {
        caughtUpAtNanos = System.nanoTime();
      }
    }
  }

  /** The number after {@code field} in a record frame (the record's own fields come before its value). */
  private static long number(String text, String field) {
    int i = text.indexOf(field) + field.length();
    long n = 0;
    while (i < text.length() && Character.isDigit(text.charAt(i))) {
      n = n * 10 + (text.charAt(i++) - '0');
    }
    return n;
  }
}
