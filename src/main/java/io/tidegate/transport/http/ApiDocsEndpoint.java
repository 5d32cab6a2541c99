package io.tidegate.transport.http;

import io.tidegate.error.Problems;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /openapi.json} (OpenAPI 3.1, the HTTP API) and {@code GET /asyncapi.json} (AsyncAPI 3.0, {@code /ws}
 * and {@code /events}): hand-written resources under {@code api/}, read once when the class loads and served as
 * they are. ApiDocsIT keeps them honest against the running gateway.
 */
public final class ApiDocsEndpoint {
  private static final Buffer OPENAPI = read("api/openapi.json");
  private static final Buffer ASYNCAPI = read("api/asyncapi.json");

  private ApiDocsEndpoint() {}

  public static void openapi(RoutingContext ctx) {
    serve(ctx, OPENAPI);
  }

  public static void asyncapi(RoutingContext ctx) {
    serve(ctx, ASYNCAPI);
  }

  private static void serve(RoutingContext ctx, Buffer doc) {
    ctx.response().putHeader("Cache-Control", "no-cache");
    Problems.json(ctx, 200, doc);
  }

  private static Buffer read(String resource) {
    try (InputStream in = ApiDocsEndpoint.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the classpath");
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
