package io.tidegate.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A WebSocket client on a plain TCP socket, for sending frames no well-behaved client library would send
 * (bad RSV bits, unmasked frames, broken fragmentation, invalid UTF-8) and for not answering pings. It does
 * the opening handshake, then writes hand-built frames and reads the gateway's frames as they come.
 */
public final class RawWebSocket implements AutoCloseable {
  public static final int CONTINUATION = 0x0;
  public static final int TEXT = 0x1;
  public static final int CLOSE = 0x8;
  public static final int PING = 0x9;

  /** A frame the gateway sent: its opcode and payload. */
  public record Frame(int opcode, byte[] payload) {
    /** The close code of a close frame, or -1. */
    public int closeCode() {
      return opcode == CLOSE && payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
    }

    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Connects to {@code /ws} of the gateway and completes the handshake (101). */
  public static RawWebSocket connect(TestGateway gw) {
    try {
      int port = Integer.parseInt(gw.url("").replaceAll(".*:(\\d+)$", "$1"));
      RawWebSocket ws = new RawWebSocket(new Socket("127.0.0.1", port));
      String key = Base64.getEncoder().encodeToString("tidegate-rawtest!".substring(0, 16).getBytes(StandardCharsets.US_ASCII));
      ws.out.write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      ws.out.flush();
      String head = ws.readHead();
      if (!head.startsWith("HTTP/1.1 101")) {
        throw new AssertionError("the handshake was not accepted: " + head);
      }
      return ws;
    } catch (IOException e) {
      throw new AssertionError("could not connect", e);
    }
  }

  private String readHead() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("closed during the handshake: " + head);
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  /**
   * Writes one frame. {@code rsv} is the three RSV bits (0 for a valid frame); {@code masked} false sends
   * the payload unmasked, which a client must never do.
   */
  public RawWebSocket frame(boolean fin, int rsv, int opcode, boolean masked, byte[] payload) {
    try {
      ByteArrayOutputStream f = new ByteArrayOutputStream();
      f.write((fin ? 0x80 : 0) | (rsv & 0x7) << 4 | opcode);
      int mask = masked ? 0x80 : 0;
      if (payload.length < 126) {
        f.write(mask | payload.length);
      } else if (payload.length < 65536) {
        f.write(mask | 126);
        f.write(payload.length >>> 8);
        f.write(payload.length & 0xFF);
      } else {
        f.write(mask | 127);
        for (int i = 7; i >= 0; i--) {
          f.write((int) ((long) payload.length >>> (8 * i)) & 0xFF);
        }
      }
      byte[] key = {0x12, 0x34, 0x56, 0x78};
      if (masked) {
        f.write(key);
      }
      for (int i = 0; i < payload.length; i++) {
        f.write(masked ? payload[i] ^ key[i % 4] : payload[i]);
      }
      out.write(f.toByteArray());
      out.flush();
    } catch (IOException e) {
      // the gateway may already have closed: the caller reads what it sent
    }
    return this;
  }

  /** A valid, masked, final text frame. */
  public RawWebSocket text(String text) {
    return frame(true, 0, TEXT, true, text.getBytes(StandardCharsets.UTF_8));
  }

  /** The next frame from the gateway, or null once the connection ends. Pings are returned, never answered. */
  public Frame next(int timeoutMs) {
    try {
      socket.setSoTimeout(timeoutMs);
      int b0 = in.read();
      if (b0 < 0) {
        return null;
      }
      int b1 = in.readUnsignedByte();
      long len = b1 & 0x7F;
      if (len == 126) {
        len = in.readUnsignedShort();
      } else if (len == 127) {
        len = in.readLong();
      }
      byte[] payload = new byte[(int) len];
      in.readFully(payload);
      return new Frame(b0 & 0x0F, payload);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no frame from the gateway within " + timeoutMs + " ms");
    } catch (IOException e) {
      return null;
    }
  }

  /** Reads frames until a close frame (returned) or the end of the connection (null). */
  public Frame awaitClose(int timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (true) {
      int left = (int) Math.max(1, deadline - System.currentTimeMillis());
      Frame f = next(left);
      if (f == null || f.opcode() == CLOSE) {
        return f;
      }
    }
  }

  public InputStream input() {
    return in;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
