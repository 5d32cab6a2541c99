package io.tidegate.codec;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Writes a consumed record in the one format every transport delivers:
 * {@code {"topic","partition","offset","timestamp","key","headers", value|text|binary}}.
 *
 * <p>Bytes that are one JSON value are written into {@code value} as they are, byte for byte; other valid
 * UTF-8 goes into {@code text}; anything else into {@code binary} (base64). A tombstone is
 * {@code "value":null}; so that it stays unambiguous, a record whose bytes are the JSON literal {@code null}
 * is delivered as {@code "text":"null"}.
 */
public final class RecordEncoder {

  /** How a value's bytes are delivered. */
  public enum Form { NULL, JSON, TEXT, BINARY }

  private RecordEncoder() {}

  public static Form classify(byte[] value) {
    if (value == null) {
      return Form.NULL;
    }
    if (!Utf8.isValid(value)) {
      return Form.BINARY;
    }
    return isSingleJsonValue(value) ? Form.JSON : Form.TEXT;
  }

  /** The record as one JSON object. {@code type}, when not null, is written first as {@code "type"}. */
  public static byte[] encode(ConsumerRecord<byte[], byte[]> r, String type) {
    ByteArrayBuilder out = new ByteArrayBuilder(256 + (r.value() == null ? 0 : r.value().length * 4 / 3));
    try {
      JsonGenerator g = RecordParser.JSON.createGenerator(out, JsonEncoding.UTF8);
      g.writeStartObject();
      if (type != null) {
        g.writeStringField("type", type);
      }
      g.writeStringField("topic", r.topic());
      g.writeNumberField("partition", r.partition());
      g.writeNumberField("offset", r.offset());
      g.writeNumberField("timestamp", r.timestamp());
      if (r.key() == null) {
        g.writeNullField("key");
      } else {
        g.writeStringField("key", new String(r.key(), StandardCharsets.UTF_8));
      }
      g.writeObjectFieldStart("headers");
      for (Header h : r.headers()) {
        if (h.value() == null) {
          g.writeNullField(h.key());
        } else {
          g.writeStringField(h.key(), new String(h.value(), StandardCharsets.UTF_8));
        }
      }
      g.writeEndObject();
      byte[] value = r.value();
      switch (classify(value)) {
        case NULL -> g.writeNullField("value");
        case TEXT -> g.writeStringField("text", new String(value, StandardCharsets.UTF_8));
        case BINARY -> g.writeStringField("binary", Base64.getEncoder().encodeToString(value));
        case JSON -> {
          // The generator is left open: the value's own bytes follow verbatim.
          g.flush();
          out.write(VALUE_FIELD);
          out.write(value);
          out.write('}');
          return out.toByteArray();
        }
      }
      g.writeEndObject();
      g.close();
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final byte[] VALUE_FIELD = ",\"value\":".getBytes(StandardCharsets.US_ASCII);

  /** True when the bytes hold exactly one JSON value (and not the bare literal null). */
  static boolean isSingleJsonValue(byte[] bytes) {
    try (JsonParser p = RecordParser.JSON.createParser(bytes)) {
      JsonToken first = p.nextToken();
      if (first == null || first == JsonToken.VALUE_NULL) {
        return false;
      }
      p.skipChildren();
      if (first == JsonToken.VALUE_STRING) {
        p.getText(); // forces the string to be decoded and checked
      }
      return p.nextToken() == null;
    } catch (IOException e) {
      return false;
    }
  }
}
