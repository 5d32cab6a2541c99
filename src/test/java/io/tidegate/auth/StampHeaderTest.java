package io.tidegate.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tidegate.config.ConfigParser;
import io.tidegate.error.ApiError;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;

/** {@code auth.stampHeader}: what a published record's headers become, for whom, and what is refused. */
class StampHeaderTest {
  private static final List<Header> CLIENTS = List.of(new RecordHeader("app", "web".getBytes(StandardCharsets.UTF_8)));

  private static Access access(String stampHeader, String subject) {
    JsonObject auth = new JsonObject();
    if (stampHeader != null) {
      auth.put("stampHeader", stampHeader);
    }
    var cfg = ConfigParser.parse(new JsonObject().put("auth", auth));
    AuthPolicy policy = AuthPolicy.create(null, cfg.auth(), cfg.limits(), new SimpleMeterRegistry());
    return policy.access(subject == null ? Identity.ANONYMOUS : new Identity(subject, 0, Permissions.ALL));
  }

  private static String value(Header h) {
    return new String(h.value(), StandardCharsets.UTF_8);
  }

  @Test
  void withoutAStampHeaderTheClientsHeadersPassAsTheyAre() {
    assertSame(CLIENTS, access(null, "alice").stamp(CLIENTS));
    List<Header> anyName = List.of(new RecordHeader("tidegate-subject", new byte[0]));
    assertSame(anyName, access(null, "alice").stamp(anyName));
  }

  @Test
  void thePublishersSubjectIsAddedAfterTheClientsHeaders() {
    List<Header> stamped = access("tidegate-subject", "alice").stamp(CLIENTS);
    assertEquals(2, stamped.size());
    assertEquals("app", stamped.get(0).key());
    assertEquals("tidegate-subject", stamped.get(1).key());
    assertEquals("alice", value(stamped.get(1)));
    assertEquals(1, CLIENTS.size(), "the client's list is not changed");
  }

  @Test
  void aClientSentStampHeaderIsForbiddenInAnyLetterCaseEvenForAnonymousPublishers() {
    for (String forged : List.of("tidegate-subject", "Tidegate-Subject", "TIDEGATE-SUBJECT")) {
      List<Header> headers = List.of(new RecordHeader(forged, "admin".getBytes(StandardCharsets.UTF_8)));
      assertEquals(403, assertThrows(ApiError.class, () -> access("tidegate-subject", "mallory").stamp(headers)).status());
      assertEquals(403, assertThrows(ApiError.class, () -> access("tidegate-subject", null).stamp(headers)).status());
    }
  }

  @Test
  void anonymousPublishersRecordsCarryNoStamp() {
    assertSame(CLIENTS, access("tidegate-subject", null).stamp(CLIENTS));
  }
}
