package io.tidegate.transport.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.tidegate.kafka.GroupLag;
import io.tidegate.kafka.TopicDetails;
import io.tidegate.kafka.TopicSummary;
import io.tidegate.stream.HistoryPage;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/** Response bodies of the HTTP API, written with Jackson's streaming generator straight into a Vert.x buffer. */
final class JsonBody {
  private static final JsonFactory FACTORY = new JsonFactory();

  private JsonBody() {}

  /** What writes one body. */
  @FunctionalInterface
  interface Content {
    void write(JsonGenerator g, OutputStream raw) throws IOException;
  }

  static Buffer write(int sizeHint, Content content) {
    Buffer out = Buffer.buffer(sizeHint);
    OutputStream stream = new OutputStream() {
      @Override
      public void write(int b) {
        out.appendByte((byte) b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        out.appendBytes(b, off, len);
      }
    };
    try (JsonGenerator g = FACTORY.createGenerator(stream)) {
      content.write(g, stream);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // writing into memory: cannot happen
    }
    return out;
  }

  /** {@code [{"name","partitions","replicationFactor"}]}. */
  static Buffer topics(List<TopicSummary> topics) {
    return write(64 + topics.size() * 64, (g, raw) -> {
      g.writeStartArray();
      for (TopicSummary t : topics) {
        g.writeStartObject();
        g.writeStringField("name", t.name());
        g.writeNumberField("partitions", t.partitions());
        g.writeNumberField("replicationFactor", t.replicationFactor());
        g.writeEndObject();
      }
      g.writeEndArray();
    });
  }

  /** {@code {"name","internal","partitions":[{"partition","leader","replicas","isr","beginOffset","endOffset"}]}}. */
  static Buffer topic(TopicDetails d) {
    return write(128 + d.partitions().size() * 128, (g, raw) -> {
      g.writeStartObject();
      g.writeStringField("name", d.name());
      g.writeBooleanField("internal", d.internal());
      g.writeArrayFieldStart("partitions");
      for (TopicDetails.Partition p : d.partitions()) {
        g.writeStartObject();
        g.writeNumberField("partition", p.partition());
        number(g, "leader", p.leader());
        ints(g, "replicas", p.replicas());
        ints(g, "isr", p.isr());
        number(g, "beginOffset", p.beginOffset());
        number(g, "endOffset", p.endOffset());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    });
  }

  /** {@code [{"group","state","members","lag","partitions":[{"topic","partition","committed","end","lag"}]}]}. */
  static Buffer groups(List<GroupLag> groups) {
    return write(64 + groups.size() * 256, (g, raw) -> {
      g.writeStartArray();
      for (GroupLag group : groups) {
        g.writeStartObject();
        g.writeStringField("group", group.group());
        g.writeStringField("state", group.state());
        g.writeNumberField("members", group.members());
        g.writeNumberField("lag", group.lag());
        g.writeArrayFieldStart("partitions");
        for (GroupLag.Partition p : group.partitions()) {
          g.writeStartObject();
          g.writeStringField("topic", p.topic());
          g.writeNumberField("partition", p.partition());
          g.writeNumberField("committed", p.committed());
          number(g, "end", p.end());
          g.writeNumberField("lag", p.lag());
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
    });
  }

  /**
   * {@code {"records":[...],"next":{"<partition>":<offset>}}}. The records are already JSON (the record format):
   * their bytes go out as they are, with the separators written around them.
   */
  static Buffer historyPage(HistoryPage page) {
    int size = 64 + page.next().size() * 24;
    for (byte[] r : page.records()) {
      size += r.length + 1;
    }
    return write(size, (g, raw) -> {
      g.writeStartObject();
      g.writeArrayFieldStart("records");
      boolean first = true;
      for (byte[] r : page.records()) {
        if (!first) {
          g.writeRaw(',');
        }
        first = false;
        g.flush();
        raw.write(r, 0, r.length);
      }
      g.writeEndArray();
      g.writeObjectFieldStart("next");
      for (Map.Entry<Integer, Long> e : page.next().entrySet()) {
        g.writeNumberField(String.valueOf(e.getKey()), e.getValue());
      }
      g.writeEndObject();
      g.writeEndObject();
    });
  }

  private static void number(JsonGenerator g, String name, Number n) throws IOException {
    g.writeFieldName(name);
    if (n == null) {
      g.writeNull();
    } else if (n instanceof Integer i) {
      g.writeNumber(i);
    } else {
      g.writeNumber(n.longValue());
    }
  }

  private static void ints(JsonGenerator g, String name, List<Integer> values) throws IOException {
    g.writeArrayFieldStart(name);
    for (int v : values) {
      g.writeNumber(v);
    }
    g.writeEndArray();
  }
}
