package io.tidegate.transport;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.tidegate.error.ApiError;
import io.tidegate.error.ErrorMapper;
import io.tidegate.error.Problems;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Problems for what goes wrong outside the endpoints: requests the HTTP decoder refuses before routing, and
 * failures the router and its handlers raise. A client's mistake is logged as one line at debug, never with
 * a stack trace; only a failure no rule knows (a 500) is logged in full, by {@link ErrorMapper}.
 */
final class HttpErrors {
  private static final Logger LOG = LoggerFactory.getLogger(HttpErrors.class);

  private HttpErrors() {}

  /**
   * The server's {@code invalidRequestHandler}: the request line or headers could not be decoded (431 headers
   * too large, 414 request line too long, 400 otherwise). The connection's framing is lost, so it is closed.
   */
  static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ApiError e = cause instanceof TooLongHttpHeaderException ? ApiError.ofStatus(431)
        : cause instanceof TooLongHttpLineException ? ApiError.ofStatus(414)
        : ApiError.badRequest("the request is not valid HTTP/1.1");
    LOG.debug("Unreadable request from {} answered {}: {}", request.remoteAddress(), e.status(), cause);
    closing(request);
    Problems.send(request.response(), e);
    request.connection().close();
  }

  /**
   * Tells an HTTP/1.x client that the connection closes after this answer. Not on HTTP/2, where connection
   * headers are forbidden (the client would refuse the answer): there the connection's GOAWAY says it.
   */
  static void closing(HttpServerRequest request) {
    if (request.version() != HttpVersion.HTTP_2) {
      request.response().putHeader("Connection", "close");
    }
  }

  /** The router's failure handler: every failure becomes a problem. */
  static void failure(RoutingContext ctx) {
    Throwable t = ctx.failure();
    HttpServerRequest request = ctx.request();
    ApiError e;
    if (t == null) {
      e = ApiError.ofStatus(ctx.statusCode());
    } else if (t instanceof ApiError a) {
      e = a;
    } else if (!request.isEnded() && (t instanceof DecoderException || t instanceof IllegalArgumentException)) {
      // the body's framing is broken (a chunk size that is not hex, ...): nothing more can be read on it
      e = ApiError.badRequest("the request body's HTTP framing is malformed (chunk sizes or lengths)");
      closing(request);
    } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      // refused by Vert.x Web itself, with its own exception
      e = request.version() != HttpVersion.HTTP_1_0 && request.version() != HttpVersion.HTTP_2
          && request.getHeader("Host") == null
          ? ApiError.badRequest("an HTTP/1.1 request must carry a Host header")
          : ApiError.ofStatus(ctx.statusCode());
    } else {
      e = ErrorMapper.toApiError(t);
    }
    if (e.status() < 500 && LOG.isDebugEnabled()) {
      LOG.debug("{} {} answered {}: {}", request.method(), request.path(), e.status(), e.detail());
    }
    Problems.send(ctx.response(), e);
  }

  /** For a status Vert.x Web answers without a failure (no route 404, wrong method 405, 413, 415). */
  static void status(RoutingContext ctx, int status) {
    ApiError e = ctx.failure() instanceof ApiError a ? a : ApiError.ofStatus(status);
    if (LOG.isDebugEnabled()) {
      LOG.debug("{} {} answered {}: {}", ctx.request().method(), ctx.request().path(), e.status(), e.detail());
    }
    Problems.send(ctx.response(), e);
  }
}
