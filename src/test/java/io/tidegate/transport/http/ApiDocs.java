package io.tidegate.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.Http;
import io.tidegate.testing.TestGateway;
import io.tidegate.transport.HttpVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.json.schema.JsonSchemaValidationException;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.mediatype.ContentAnalyser;
import io.vertx.openapi.mediatype.ContentAnalyserFactory;
import io.vertx.openapi.mediatype.MediaTypeRegistration;
import io.vertx.openapi.mediatype.MediaTypeRegistry;
import io.vertx.openapi.validation.ValidationContext;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/** Helpers shared by the tests that hold /openapi.json and /asyncapi.json against the running gateway. */
final class ApiDocs {
  private ApiDocs() {}

  /** The document as the gateway serves it. */
  static JsonObject served(TestGateway gw, String path) {
    Http.Response r = Http.get(gw.url(path));
    assertEquals(200, r.status(), r.body());
    assertTrue(r.contentType().startsWith("application/json"), r.contentType());
    return r.json();
  }

  /**
   * The OpenAPI contract, parsed (checked against the OpenAPI 3.1 meta-schema, every $ref resolved) by Vert.x's
   * OpenAPI library, which knows problem+json as JSON and takes an event stream as it comes.
   */
  static OpenAPIContract contract(Vertx vertx, JsonObject doc) {
    // JSON whatever its parameters (health checks answer application/json;charset=UTF-8)
    MediaTypeRegistry types = MediaTypeRegistry.createEmpty()
        .register(new Registration("application/json", ContentAnalyserFactory.json()))
        .register(new Registration("application/problem+json", ContentAnalyserFactory.json()))
        .register(new Registration("text/plain", ApiDocs::text))
        .register(new Registration("text/event-stream", ApiDocs::text))
        .register(MediaTypeRegistration.APPLICATION_OCTET_STREAM);
    try {
      return Awaits.result(OpenAPIContract.builder(vertx).setContract(doc.copy()).mediaTypeRegistry(types).build());
    } catch (RuntimeException e) {
      StringBuilder why = new StringBuilder(String.valueOf(e.getMessage()));
      for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
        why.append("\n caused by: ").append(c.getMessage());
        if (c instanceof JsonSchemaValidationException v) {
          why.append(" at ").append(v.location());
        }
      }
      throw new AssertionError("/openapi.json is not a valid OpenAPI 3.1 contract: " + why, e);
    }
  }

  /** A document as the classpath holds it (what the gateway serves). */
  static JsonObject resource(String name) {
    try (var in = ApiDocs.class.getClassLoader().getResourceAsStream("api/" + name)) {
      assertNotNull(in, name + " is on the classpath");
      return new JsonObject(Buffer.buffer(in.readAllBytes()));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A text body: valid UTF-8, validated as a JSON string. */
  private static ContentAnalyser text(String contentType, Buffer content, ValidationContext context) {
    return new ContentAnalyser() {
      @Override
      public void checkSyntacticalCorrectness() {
        try {
          StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(content.getBytes()));
        } catch (CharacterCodingException e) {
          throw new ValidatorException("a " + contentType + " body that is not UTF-8", ValidatorErrorType.ILLEGAL_VALUE);
        }
      }

      @Override
      public Object transform() {
        return content.toString(StandardCharsets.UTF_8);
      }
    };
  }

  /** A media type by its type/subtype, whatever its parameters. */
  private record Registration(String type, ContentAnalyserFactory analyser) implements MediaTypeRegistration {
    @Override
    public ContentAnalyser createContentAnalyser(String contentType, Buffer content, ValidationContext context) {
      return analyser.create(contentType, content, context);
    }

    @Override
    public boolean canHandle(String mediaType) {
      return mediaType != null && mediaType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT).equals(type);
    }

    @Override
    public List<String> supportedTypes() {
      return List.of(type);
    }
  }

  /** Every {@code $ref} in the document points inside it, at something that is there. */
  static void assertRefsResolve(JsonObject doc) {
    List<String> broken = new ArrayList<>();
    walk(doc, doc, "#", broken);
    assertTrue(broken.isEmpty(), "broken $refs: " + broken);
  }

  private static void walk(JsonObject root, Object node, String at, List<String> broken) {
    if (node instanceof JsonObject o) {
      Object ref = o.getValue("$ref");
      if (ref instanceof String s && resolve(root, s) == null) {
        broken.add(at + " -> " + s);
      }
      o.forEach(e -> walk(root, e.getValue(), at + "/" + e.getKey(), broken));
    } else if (node instanceof JsonArray a) {
      for (int i = 0; i < a.size(); i++) {
        walk(root, a.getValue(i), at + "/" + i, broken);
      }
    }
  }

  /** A local JSON pointer ({@code #/a/b}) in {@code root}, or null. */
  static Object resolve(JsonObject root, String ref) {
    if (!ref.startsWith("#/")) {
      return null;
    }
    Object at = root;
    for (String part : ref.substring(2).split("/")) {
      String key = part.replace("~1", "/").replace("~0", "~");
      if (at instanceof JsonObject o && o.containsKey(key)) {
        at = o.getValue(key);
      } else {
        return null;
      }
    }
    return at;
  }

  /** "METHOD /path/{param}" for every route of the gateway's first HTTP listener that names a method and a path. */
  static Set<String> routes(TestGateway gw) {
    VertxInternal vertx = (VertxInternal) gw.vertx();
    HttpVerticle listener = vertx.deploymentManager().deployments().stream()
        .flatMap(d -> d.deployment().instances().stream())
        .filter(HttpVerticle.class::isInstance).map(HttpVerticle.class::cast)
        .findFirst().orElse(null);
    assertNotNull(listener, "the gateway's HTTP listener is deployed");
    Set<String> out = new TreeSet<>();
    for (Route r : listener.routes()) {
      Set<HttpMethod> methods = r.methods();
      if (r.getPath() == null || methods == null || methods.isEmpty()) {
        continue; // handlers for every path or method (origin, identity, static files, failures)
      }
      String path = r.getPath().replaceAll(":([A-Za-z0-9_]+)", "{$1}") + (r.isExactPath() ? "" : "*");
      for (HttpMethod m : methods) {
        if (!m.equals(HttpMethod.HEAD)) { // every GET answers HEAD; the documents describe the GET
          out.add(m.name() + " " + path);
        }
      }
    }
    return out;
  }
}
