package io.tidegate.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;

/** What every error answer must look like. */
public final class ProblemAssert {
  private ProblemAssert() {}

  /** A problem: its status, its media type, all four members, and nothing that looks like a stack trace. */
  public static JsonObject assertProblem(Http.Response r, int status) {
    assertEquals(status, r.status(), r.body());
    assertEquals("application/problem+json", r.contentType());
    JsonObject p = r.json();
    assertEquals(status, p.getInteger("status"));
    for (String member : new String[] {"type", "title", "detail"}) {
      assertTrue(p.getValue(member) instanceof String s && !s.isBlank(), "problem needs '" + member + "': " + p);
    }
    assertFalse(r.body().contains("Exception") || r.body().contains("\tat ") || r.body().contains(".java:"),
        "no stack trace in a problem body: " + r.body());
    return p;
  }

  /** A problem whose detail mentions {@code detailPart}. */
  public static JsonObject assertProblem(Http.Response r, int status, String detailPart) {
    JsonObject p = assertProblem(r, status);
    assertTrue(p.getString("detail").contains(detailPart), "the detail names '" + detailPart + "': " + p);
    return p;
  }
}
