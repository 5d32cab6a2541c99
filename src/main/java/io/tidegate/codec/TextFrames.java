package io.tidegate.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;

/**
 * WebSocket text frames as a server sends them (RFC 6455 section 5.2: final, unmasked), so that a frame made
 * once serves every client: the live feed makes each record's on its own thread, and the event loops write views
 * of it.
 */
public final class TextFrames {
  /** The longest header: 2 bytes and an 8-byte length. */
  public static final int MAX_HEADER = 10;

  private TextFrames() {}

  /**
   * A frame holding {@code payload}, header and all, in memory a socket writes from without a copy (direct,
   * freed by the garbage collector): shared read-only by every writer, each writing its own view
   * ({@code duplicate()}); releasing a view does not free it.
   */
  public static ByteBuf shared(byte[] payload) {
    ByteBuffer frame = ByteBuffer.allocateDirect(MAX_HEADER + payload.length);
    header(frame, payload.length);
    frame.put(payload).flip();
    return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(frame));
  }

  /** Writes the header of a text frame of {@code length} bytes: FIN and opcode, then the length in 1, 3 or 9 bytes. */
  public static void header(ByteBuffer out, int length) {
    out.put((byte) 0x81);
    if (length <= 125) {
      out.put((byte) length);
    } else if (length <= 0xFFFF) {
      out.put((byte) 126).putShort((short) length);
    } else {
      out.put((byte) 127).putLong(length);
    }
  }
}
