package io.tidegate.transport;

import io.tidegate.error.Problems;
import io.tidegate.config.TidegateConfig;
import io.tidegate.ops.KafkaHealth;
import io.tidegate.ops.Metrics;
import io.tidegate.publish.PublishService;
import io.tidegate.stream.Fanout;
import io.tidegate.stream.StreamContext;
import io.tidegate.stream.Streams;
import io.tidegate.transport.http.RestEndpoints;
import io.tidegate.transport.sse.SseEndpoint;
import io.tidegate.transport.ws.WsEndpoint;

import io.tidegate.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** One HTTP listener instance (several share the port, one per event loop) and its routes. */
public final class HttpVerticle extends VerticleBase {
  private final TidegateConfig config;
  private final int port;
  private final RestEndpoints rest;
  private final Streams streams;
  private final PublishService publishing;
  private final KafkaHealth health;
  private final Metrics metrics;
  private HttpServer server;
  private WsEndpoint ws;
  private SseEndpoint sse;

  /** @param port the port to bind; 0 picks a free one (then deploy further instances with the port it got) */
  public HttpVerticle(TidegateConfig config, int port, RestEndpoints rest, Streams streams, PublishService publishing,
      KafkaHealth health, Metrics metrics) {
    this.config = config;
    this.port = port;
    this.rest = rest;
    this.streams = streams;
    this.publishing = publishing;
    this.health = health;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    var cfg = config;
    Router router = router();
    server = vertx.createHttpServer(new HttpServerOptions()
        .setHost(cfg.http().host())
        .setPort(port)
        .setCompressionSupported(true)
        .setMaxWebSocketFrameSize(cfg.ws().maxFrameBytes())
        .setMaxWebSocketMessageSize(cfg.ws().maxFrameBytes())
        .setPerMessageWebSocketCompressionSupported(cfg.ws().perMessageDeflate())
        .setPerFrameWebSocketCompressionSupported(cfg.ws().perMessageDeflate())
        .setIdleTimeout(cfg.http().idleTimeoutSeconds()).setIdleTimeoutUnit(TimeUnit.SECONDS));
    return server.requestHandler(router).listen();
  }

  /** Stops accepting, lets in-flight requests finish (bounded by the shutdown timeout). */
  @Override
  public Future<?> stop() {
    if (server == null) {
      return Future.succeededFuture();
    }
    Duration grace = Duration.ofMillis(Math.max(1, config.shutdownTimeout().toMillis() / 2));
    ws.closeAll();
    sse.closeAll();
    return server.shutdown(grace);
  }

  /** Read once, when the class loads (not on an event loop's time). */
  private static final String CHART_JS =
      "/webjars/chart.js/" + webJarVersion("org.webjars.npm", "chart.js") + "/dist/chart.umd.min.js";

  /** A WebJar's version, from the Maven metadata inside it. */
  private static String webJarVersion(String group, String artifact) {
    String path = "META-INF/maven/" + group + "/" + artifact + "/pom.properties";
    try (var in = HttpVerticle.class.getClassLoader().getResourceAsStream(path)) {
      java.util.Properties p = new java.util.Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "missing");
    } catch (java.io.IOException e) {
      return "missing";
    }
  }

  public int actualPort() {
    return server.actualPort();
  }

  private Router router() {
    var cfg = config;
    Router router = Router.router(vertx);
    BodyHandler body = BodyHandler.create(false).setBodyLimit(cfg.http().maxBodyBytes())
        .setPreallocateBodyBuffer(true);

    var publish = rest.publish();
    var topics = rest.topics();
    var groups = rest.groups();

    router.post("/topics/:topic/records").consumes("application/json").handler(body).handler(publish::publishJson);
    router.get("/topics/:topic/records").handler(topics::records);
    router.post("/topics/:topic").consumes("text/plain").consumes("application/octet-stream")
        .handler(body).handler(publish::publishRaw);
    router.get("/topics/:topic").handler(topics::describe);
    router.delete("/topics/:topic").handler(topics::delete);
    router.get("/topics").handler(topics::list);
    router.post("/topics").consumes("application/json").handler(body).handler(topics::create);
    router.get("/groups").handler(groups::list);
    Fanout fanout = streams.fanoutFor(context);
    ws = new WsEndpoint(new StreamContext(context, fanout, streams, streams.wsSessions()), publishing,
        cfg.publish().timeout());
    router.get("/ws").handler(ws::handle);
    sse = new SseEndpoint(new StreamContext(context, fanout, streams, streams.sseSessions()),
        cfg.sse().heartbeat());
    router.get("/events").handler(sse::handle);

    HealthCheckHandler live = HealthCheckHandler.create(vertx)
        .register("event-loop", p -> p.complete(Status.OK()));
    HealthCheckHandler ready = HealthCheckHandler.create(vertx)
        .register("kafka", p -> p.complete(health.isUp()
            ? Status.OK(health.status()) : Status.KO(health.status())));
    router.get("/health/live").handler(live);
    router.get("/health/ready").handler(ready);
    router.get("/health").handler(ready);
    router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(metrics.scrape()));

    router.get("/stats").handler(rest.stats()::get);
    // Front-end libraries packaged as WebJars (Maven Central), served from the classpath: no CDN at run time.
    router.get("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars").setCachingEnabled(true));
    // the dashboard names Chart.js without its version, so the page follows the WebJar the pom brings
    router.get("/vendor/chart.umd.min.js").handler(ctx -> ctx.reroute(CHART_JS));
    router.route().method(HttpMethod.GET).handler(StaticHandler.create("webroot").setCachingEnabled(true));

    router.route().failureHandler(ctx -> Problems.send(ctx.response(), ctx.failure() != null
        ? io.tidegate.error.ErrorMapper.toApiError(ctx.failure()) : ApiError.ofStatus(ctx.statusCode())));
    for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
      router.errorHandler(status, ctx -> Problems.send(ctx.response(), ctx.failure() instanceof ApiError e
          ? e : ApiError.ofStatus(status)));
    }
    return router;
  }
}
