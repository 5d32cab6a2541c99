package io.tidegate.testing;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * HTTP calls for tests, made with Vert.x's WebClient on a Vert.x instance of the helper's own, and awaited on the
 * calling (test) thread: never call these from a Vert.x thread. Like a plain outside client, it follows no
 * redirect and asks for no compression.
 */
public final class Http {
  private static final Vertx VERTX = Vertx.vertx(new VertxOptions().setUseDaemonThread(true).setEventLoopPoolSize(1));
  private static final int CONNECT_TIMEOUT_MS = 5_000;
  private static final long REQUEST_TIMEOUT_MS = 30_000;
  private static final WebClient CLIENT = WebClient.create(VERTX, new WebClientOptions()
      .setFollowRedirects(false).setConnectTimeout(CONNECT_TIMEOUT_MS));
  /** For what WebClient does not do: a body sent in chunks, without Content-Length. */
  private static final HttpClient RAW = VERTX.createHttpClient(new HttpClientOptions().setConnectTimeout(CONNECT_TIMEOUT_MS));

  private Http() {}

  /** A response with its body as text and, for JSON bodies, helpers to read it. */
  public record Response(int status, String body, MultiMap headers) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public JsonArray jsonArray() {
      return new JsonArray(body);
    }

    public String header(String name) {
      return headers.get(name);
    }

    public String contentType() {
      return header("content-type");
    }
  }

  /** {@code headers} are name, value, name, value, ... */
  public static Response get(String url, String... headers) {
    return send(request(HttpMethod.GET, url, headers), null);
  }

  public static Response delete(String url, String... headers) {
    return send(request(HttpMethod.DELETE, url, headers), null);
  }

  public static Response postJson(String url, Object json, String... headers) {
    return post(url, "application/json", json.toString(), headers);
  }

  public static Response post(String url, String contentType, String body, String... headers) {
    return post(url, contentType, Buffer.buffer(body), headers);
  }

  public static Response post(String url, String contentType, byte[] body, String... headers) {
    return post(url, contentType, Buffer.buffer(body), headers);
  }

  public static Response post(String url, String contentType, Buffer body, String... headers) {
    HttpRequest<Buffer> r = request(HttpMethod.POST, url, headers);
    if (contentType != null) {
      r.putHeader("Content-Type", contentType);
    }
    return send(r, body);
  }

  /** A POST whose body goes out chunk by chunk with no Content-Length (Transfer-Encoding: chunked). */
  public static Response postChunked(String url, String contentType, List<Buffer> chunks) {
    Future<Response> response = RAW.request(new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url)
            .setIdleTimeout(REQUEST_TIMEOUT_MS).putHeader("Content-Type", contentType))
        .compose(req -> {
          req.setChunked(true);
          chunks.forEach(req::write);
          req.end();
          return req.response();
        })
        .compose(res -> res.body().map(b -> new Response(res.statusCode(), b.toString(), res.headers())));
    return Awaits.result(response);
  }

  /** An open response whose body is read as it comes (an event stream), until closed. */
  public static final class Streamed implements AutoCloseable {
    private final HttpClientResponse response;
    private final StringBuilder text = new StringBuilder();
    private volatile boolean ended;

    private Streamed(HttpClientResponse response) {
      this.response = response;
      response.handler(b -> {
        synchronized (text) {
          text.append(b.toString(StandardCharsets.UTF_8));
        }
      });
      response.endHandler(v -> ended = true);
    }

    /** True once the server ended the response (its last chunk arrived). */
    public boolean ended() {
      return ended;
    }

    public int status() {
      return response.statusCode();
    }

    public String header(String name) {
      return response.getHeader(name);
    }

    /** The complete lines received so far. */
    public List<String> lines() {
      String t;
      synchronized (text) {
        t = text.toString();
      }
      List<String> lines = new ArrayList<>(List.of(t.split("\n", -1)));
      lines.remove(lines.size() - 1); // not ended yet
      return lines;
    }

    @Override
    public void close() {
      Awaits.result(response.request().connection().close());
    }
  }

  /** {@code headers} are name, value, name, value, ... */
  public static Streamed stream(String url, String... headers) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      options.putHeader(headers[i], headers[i + 1]);
    }
    return Awaits.result(RAW.request(options).compose(req -> req.send().map(Streamed::new)));
  }

  /** A request with no body and any method, e.g. PATCH. */
  public static Response method(String url, String method, String... headers) {
    return send(request(HttpMethod.valueOf(method), url, headers), null);
  }

  private static HttpRequest<Buffer> request(HttpMethod method, String url, String... headers) {
    HttpRequest<Buffer> r = CLIENT.requestAbs(method, url).timeout(REQUEST_TIMEOUT_MS);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      r.putHeader(headers[i], headers[i + 1]);
    }
    return r;
  }

  private static Response send(HttpRequest<Buffer> request, Buffer body) {
    Future<io.vertx.ext.web.client.HttpResponse<Buffer>> sent = body == null ? request.send() : request.sendBuffer(body);
    io.vertx.ext.web.client.HttpResponse<Buffer> r = Awaits.result(sent);
    Buffer b = r.body();
    return new Response(r.statusCode(), b == null ? "" : b.toString(), r.headers());
  }
}
