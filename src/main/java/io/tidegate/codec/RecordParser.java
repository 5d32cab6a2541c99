package io.tidegate.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.tidegate.error.ApiError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Reads a publish body, one record or {@code {"records":[...]}}, in one streaming pass over its bytes.
 * A JSON {@code value} is kept as the exact bytes the client sent (objects and arrays are sliced out of the
 * body, not parsed into maps and written again), so what a consumer reads is what the producer wrote.
 *
 * <p>Malformed JSON anywhere answers 400; otherwise the first invalid record answers 422 naming its index.
 */
public final class RecordParser {
  static final int MAX_DEPTH = 200;
  static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
      .build();

  private RecordParser() {}

  /** Parses a body; never returns an empty list. JSON is UTF-8 (RFC 8259 8.1): UTF-16/32, which Jackson would guess, is 415. */
  public static List<PublishRecord> parse(byte[] body) {
    return parse(body, java.util.Set.of());
  }

  /**
   * Parses a message that carries one record beside fields of its own (a WebSocket {@code publish} frame):
   * the top-level fields named in {@code envelope} are skipped, the rest is read as a record, its value kept
   * as the exact bytes sent.
   */
  public static List<PublishRecord> parse(byte[] body, java.util.Set<String> envelope) {
    Utf8.requireJsonUtf8(body);
    try (JsonParser p = JSON.createParser(body)) {
      return new Pass(p, body, envelope).top();
    } catch (StreamConstraintsException e) {
      // too deep (or too long a number or name): Jackson gives no location for these
      throw ApiError.malformedJson("the body is not accepted: it nests deeper than " + MAX_DEPTH
          + " levels or holds a number or name longer than Jackson's limits");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      String reason = e.getOriginalMessage() == null ? "unreadable" : e.getOriginalMessage();
      int cut = reason.indexOf(" (");
      JsonLocation where = e.getLocation();
      throw ApiError.malformedJson("the body is not valid JSON: " + (cut > 0 ? reason.substring(0, cut) : reason)
          + (where == null || where.getByteOffset() < 0 ? "" : " at byte " + where.getByteOffset()));
    } catch (IOException e) {
      throw ApiError.badRequest("the body could not be read");
    }
  }

  /** One walk over the body. Syntax is checked to the end before any semantic error is reported. */
  private static final class Pass {
    private final JsonParser p;
    private final byte[] body;
    private final java.util.Set<String> envelope;
    private ApiError firstInvalid;

    Pass(JsonParser p, byte[] body, java.util.Set<String> envelope) {
      this.p = p;
      this.body = body;
      this.envelope = envelope;
    }

    List<PublishRecord> top() throws IOException {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        if (p.currentToken() != null) {
          p.skipChildren();
          expectEnd();
        }
        throw ApiError.unprocessable("the body must be a JSON object: one record, or {\"records\":[...]}");
      }
      Fields single = new Fields();
      List<PublishRecord> batch = null;
      boolean sawRecordField = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        if (envelope.contains(name)) {
          p.skipChildren();
        } else if (name.equals("records")) {
          if (batch != null) {
            invalid(ApiError.unprocessable("'records' appears twice"));
          }
          batch = records();
        } else {
          sawRecordField = true;
          single.read(name, -1);
        }
      }
      expectEnd();
      if (batch != null && sawRecordField) {
        invalid(ApiError.unprocessable("a body holds either one record or {\"records\":[...]}, not both"));
      }
      if (firstInvalid != null) {
        throw firstInvalid;
      }
      if (batch == null) {
        PublishRecord r = single.build(-1);
        if (r == null) {
          throw firstInvalid;
        }
        return List.of(r);
      }
      if (batch.isEmpty()) {
        throw ApiError.unprocessable("'records' must hold at least one record");
      }
      return batch;
    }

    private List<PublishRecord> records() throws IOException {
      if (p.currentToken() != JsonToken.START_ARRAY) {
        invalid(ApiError.unprocessable("'records' must be an array of records"));
        p.skipChildren();
        return List.of();
      }
      List<PublishRecord> out = new ArrayList<>();
      int index = 0;
      for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken(), index++) {
        if (t != JsonToken.START_OBJECT) {
          invalid(ApiError.invalidRecord(index, "a record must be a JSON object"));
          p.skipChildren();
          continue;
        }
        Fields f = new Fields();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          p.nextToken();
          f.read(name, index);
        }
        PublishRecord r = f.build(index);
        if (r != null) {
          out.add(r);
        }
      }
      return out;
    }

    /** One JSON value per body: anything after it is malformed. */
    private void expectEnd() throws IOException {
      if (p.nextToken() != null) {
        throw ApiError.malformedJson("the body is not valid JSON: unexpected content after the JSON object at byte "
            + p.currentTokenLocation().getByteOffset());
      }
    }

    private void invalid(ApiError e) {
      if (firstInvalid == null) {
        firstInvalid = e;
      }
    }

    /** The fields of one record as they are read. */
    private final class Fields {
      byte[] key;
      byte[] value;
      int valueForms;
      boolean tombstone;
      List<Header> headers = List.of();
      Integer partition;
      Long timestamp;

      void read(String name, int index) throws IOException {
        JsonToken t = p.currentToken();
        switch (name) {
          case "key" -> {
            if (t == JsonToken.VALUE_STRING) {
              key = p.getText().getBytes(StandardCharsets.UTF_8);
            } else if (t != JsonToken.VALUE_NULL) {
              invalid(ApiError.invalidRecord(index, "'key' must be a string or null"));
              p.skipChildren();
            }
          }
          case "value" -> {
            valueForms++;
            value = rawValue();
            tombstone = t == JsonToken.VALUE_NULL;
          }
          case "text" -> {
            valueForms++;
            if (t == JsonToken.VALUE_STRING) {
              value = p.getText().getBytes(StandardCharsets.UTF_8);
            } else {
              invalid(ApiError.invalidRecord(index, "'text' must be a string"));
              p.skipChildren();
            }
          }
          case "binary" -> {
            valueForms++;
            if (t == JsonToken.VALUE_STRING) {
              try {
                value = Base64.getDecoder().decode(p.getText());
              } catch (IllegalArgumentException e) {
                invalid(ApiError.invalidRecord(index, "'binary' is not valid base64: " + e.getMessage()));
              }
            } else {
              invalid(ApiError.invalidRecord(index, "'binary' must be a base64 string"));
              p.skipChildren();
            }
          }
          case "headers" -> headers = headers(index);
          case "partition" -> {
            if (t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT && p.getIntValue() >= 0) {
              partition = p.getIntValue();
            } else if (t != JsonToken.VALUE_NULL) {
              invalid(ApiError.invalidRecord(index, "'partition' must be a non-negative integer"));
              p.skipChildren();
            }
          }
          case "timestamp" -> {
            if (t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER && p.getLongValue() >= 0) {
              timestamp = p.getLongValue();
            } else if (t != JsonToken.VALUE_NULL) {
              invalid(ApiError.invalidRecord(index, "'timestamp' must be a non-negative integer (epoch milliseconds)"));
              p.skipChildren();
            }
          }
          default -> {
            invalid(ApiError.invalidRecord(index, "unknown field '" + name
                + "' (a record has key, value, text, binary, headers, partition, timestamp)"));
            p.skipChildren();
          }
        }
      }

      /** The value's JSON exactly as sent: structures are sliced from the body, scalars written compactly. */
      private byte[] rawValue() throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
          case START_OBJECT, START_ARRAY -> {
            int start = (int) p.currentTokenLocation().getByteOffset();
            p.skipChildren();
            int end = (int) p.currentTokenLocation().getByteOffset() + 1;
            return Arrays.copyOfRange(body, start, end);
          }
          case VALUE_NULL -> {
            return null;
          }
          case VALUE_STRING -> {
            return io.vertx.core.json.Json.encode(p.getText()).getBytes(StandardCharsets.UTF_8);
          }
          default -> {
            // numbers keep their exact text; true/false likewise
            return p.getText().getBytes(StandardCharsets.UTF_8);
          }
        }
      }

      private List<Header> headers(int index) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
          return List.of();
        }
        if (t != JsonToken.START_OBJECT) {
          invalid(ApiError.invalidRecord(index, "'headers' must be an object of string values"));
          p.skipChildren();
          return List.of();
        }
        List<Header> out = new ArrayList<>(4);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          JsonToken v = p.nextToken();
          if (v == JsonToken.VALUE_STRING) {
            out.add(new RecordHeader(name, p.getText().getBytes(StandardCharsets.UTF_8)));
          } else {
            invalid(ApiError.invalidRecord(index, "header '" + name + "' must be a string"));
            p.skipChildren();
          }
        }
        return out;
      }

      /** The record, or null once any record has been found invalid. */
      PublishRecord build(int index) {
        if (valueForms > 1) {
          invalid(ApiError.invalidRecord(index, "a record holds exactly one of 'value', 'text' or 'binary'"));
        }
        if (firstInvalid != null) {
          return null;
        }
        return new PublishRecord(key, tombstone ? null : value, headers, partition, timestamp);
      }
    }
  }
}
