package io.tidegate.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tidegate.testing.Awaits;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The documents as shipped parse: OpenAPI by Vert.x's OpenAPI library, every $ref of both resolves. */
class ApiDocsTest {
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    Awaits.result(vertx.close());
  }

  @Test
  void openApiParses() {
    var doc = ApiDocs.resource("openapi.json");
    ApiDocs.assertRefsResolve(doc);
    assertEquals("3.1.0", ApiDocs.contract(vertx, doc).getRawContract().getString("openapi"));
  }

  @Test
  void asyncApiRefsResolve() {
    ApiDocs.assertRefsResolve(ApiDocs.resource("asyncapi.json"));
  }
}
