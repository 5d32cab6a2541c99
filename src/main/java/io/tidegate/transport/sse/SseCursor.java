package io.tidegate.transport.sse;

import io.tidegate.stream.Positions;
import io.tidegate.stream.Subscription;

import io.tidegate.error.ApiError;
import io.tidegate.codec.TopicNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An SSE stream's position, written as each event's {@code id}: for every topic, the next offset to deliver on
 * each partition, in partition order: {@code orders:42,17,5;payments:3,9}. Topic names and numbers only, so an
 * id can never hold a line break (nor inject a field); about 8 bytes per partition, small enough for the
 * {@code Last-Event-ID} header. An empty entry is a partition the stream had not started reading.
 */
final class SseCursor {
  /** Far more than any header allows; a longer id is refused before it is parsed. */
  static final int MAX_LENGTH = 64 * 1024;

  private SseCursor() {}

  /** {@code id: <cursor>\n\n} as bytes, written straight into an array: this runs once per record and stream. */
  static byte[] idLine(List<String> topics, Map<String, Subscription> subs) {
    byte[] out = new byte[64];
    int n = 0;
    out = put(out, n, ID);
    n += ID.length;
    boolean first = true;
    for (String topic : topics) {
      Subscription s = subs.get(topic);
      if (s == null) {
        continue;
      }
      if (!first) {
        out = ensure(out, n + 1);
        out[n++] = ';';
      }
      first = false;
      byte[] name = s.topicBytes;
      out = put(out, n, name);
      n += name.length;
      out = ensure(out, n + 1);
      out[n++] = ':';
      int last = s.next.last();
      for (int p = 0; p <= last; p++) {
        if (p > 0) {
          out = ensure(out, n + 1);
          out[n++] = ',';
        }
        long o = s.next.at(p);
        if (o != Positions.NONE) {
          out = ensure(out, n + 20);
          n = digits(out, n, o);
        }
      }
    }
    out = ensure(out, n + 2);
    out[n++] = '\n';
    out[n++] = '\n';
    return java.util.Arrays.copyOf(out, n);
  }

  private static final byte[] ID = "id: ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private static byte[] ensure(byte[] b, int size) {
    return size <= b.length ? b : java.util.Arrays.copyOf(b, Math.max(size, b.length * 2));
  }

  private static byte[] put(byte[] b, int at, byte[] what) {
    byte[] out = ensure(b, at + what.length);
    System.arraycopy(what, 0, out, at, what.length);
    return out;
  }

  /** Writes a non-negative number's decimal digits at {@code at}; returns the index after them. */
  private static int digits(byte[] b, int at, long v) {
    int len = 1;
    for (long x = v; x >= 10; x /= 10) {
      len++;
    }
    for (int i = at + len - 1; i >= at; i--) {
      b[i] = (byte) ('0' + v % 10);
      v /= 10;
    }
    return at + len;
  }

  /** The cursor alone, as text (what {@link #idLine} writes between {@code id: } and the blank line). */
  static String format(List<String> topics, Map<String, Subscription> subs) {
    byte[] line = idLine(topics, subs);
    return new String(line, ID.length, line.length - ID.length - 2, java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** Topic to partition to next offset; a malformed id answers 400. */
  static Map<String, Map<Integer, Long>> parse(String id) {
    if (id.length() > MAX_LENGTH) {
      throw bad("it is longer than " + MAX_LENGTH + " characters");
    }
    Map<String, Map<Integer, Long>> out = new LinkedHashMap<>();
    if (id.isEmpty()) {
      return out;
    }
    for (String part : id.split(";", -1)) {
      int colon = part.lastIndexOf(':');
      if (colon <= 0) {
        throw bad("'" + abbreviate(part) + "' is not topic:offset,offset,...");
      }
      String topic = part.substring(0, colon);
      try {
        TopicNames.validate(topic);
      } catch (ApiError e) {
        throw bad("'" + abbreviate(topic) + "' is not a topic name");
      }
      Map<Integer, Long> offsets = new LinkedHashMap<>();
      String list = part.substring(colon + 1);
      if (!list.isEmpty()) {
        String[] items = list.split(",", -1);
        for (int p = 0; p < items.length; p++) {
          if (items[p].isEmpty()) {
            continue;
          }
          try {
            long o = Long.parseLong(items[p]);
            if (o < 0) {
              throw new NumberFormatException();
            }
            offsets.put(p, o);
          } catch (NumberFormatException e) {
            throw bad("'" + abbreviate(items[p]) + "' is not an offset");
          }
        }
      }
      if (out.put(topic, offsets) != null) {
        throw bad("topic '" + topic + "' appears twice");
      }
    }
    return out;
  }

  private static ApiError bad(String why) {
    return ApiError.badRequest("Last-Event-ID is not a cursor this gateway wrote: " + why);
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
