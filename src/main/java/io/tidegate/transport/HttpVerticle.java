package io.tidegate.transport;

import io.tidegate.auth.AuthPolicy;
import io.tidegate.error.Problems;
import io.tidegate.config.TidegateConfig;
import io.tidegate.transport.http.ApiDocsEndpoint;
import io.tidegate.transport.http.Guards;
import io.tidegate.transport.http.IdentityHandler;
import io.tidegate.transport.http.OriginGuard;
import io.tidegate.ops.KafkaHealth;
import io.tidegate.ops.EventLoopDelay;
import io.tidegate.ops.Metrics;
import io.tidegate.publish.PublishService;
import io.tidegate.stream.Fanout;
import io.tidegate.stream.StreamContext;
import io.tidegate.stream.Streams;
import io.tidegate.transport.http.RestEndpoints;
import io.tidegate.transport.sse.SseEndpoint;
import io.tidegate.transport.ws.WsEndpoint;

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
import io.vertx.micrometer.PrometheusScrapingHandler;
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
  private final ConnectionLimit connections;
  private final AuthPolicy auth;
  private HttpServer server;
  private Router router;
  private WsEndpoint ws;
  private SseEndpoint sse;

  /** @param port the port to bind; 0 picks a free one (then deploy further instances with the port it got) */
  public HttpVerticle(TidegateConfig config, int port, RestEndpoints rest, Streams streams, PublishService publishing,
      KafkaHealth health, Metrics metrics, ConnectionLimit connections, AuthPolicy auth) {
    this.config = config;
    this.port = port;
    this.rest = rest;
    this.streams = streams;
    this.publishing = publishing;
    this.health = health;
    this.metrics = metrics;
    this.connections = connections;
    this.auth = auth;
  }

  @Override
  public Future<?> start() {
    var cfg = config;
    EventLoopDelay.watch(vertx, metrics.registry()); // this listener's loop: how late its timers run
    Router router = router();
    this.router = router;
    // No HTTP compression: Netty's compressor holds at most 128 pipelined requests and fails the connection
    // past that (a client pipelining 1,000 GETs got 128 answers, then nothing). WebSockets negotiate their own.
    HttpServerOptions options = new HttpServerOptions()
        .setHost(cfg.http().host())
        .setPort(port)
        .setCompressionSupported(false)
        .setMaxWebSocketFrameSize(cfg.ws().maxFrameBytes())
        .setMaxWebSocketMessageSize(cfg.ws().maxFrameBytes())
        .setPerMessageWebSocketCompressionSupported(cfg.ws().perMessageDeflate())
        .setPerFrameWebSocketCompressionSupported(cfg.ws().perMessageDeflate())
        .setIdleTimeout(cfg.http().idleTimeoutSeconds()).setIdleTimeoutUnit(TimeUnit.SECONDS);
    cfg.http().tls().ifPresent(tls -> ListenerTls.apply(options, tls));
    server = vertx.createHttpServer(options);
    return server
        .connectionHandler(connections::opened)
        .invalidRequestHandler(HttpErrors::invalidRequest)
        .requestHandler(request -> {
          if (publishing.draining().draining()) {
            GracefulStop.refuse(request);
          } else if (connections.isOver(request)) {
            connections.refuse(request);
          } else {
            router.handle(request);
          }
        })
        .listen();
  }

  /** The graceful stop of this loop's listener and sockets: {@link GracefulStop}. */
  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture()
        : GracefulStop.stop(server, connections, ws, sse, publishing.draining(), config.shutdownTimeout());
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

  /** This listener's routes, for the test that holds them against /openapi.json (ApiDocsIT). */
  public java.util.List<io.vertx.ext.web.Route> routes() {
    return router.getRoutes();
  }

  private Router router() {
    var cfg = config;
    Router router = Router.router(vertx);
    // not pre-allocated: a Content-Length is only a claim, and the buffer grows with the bytes that arrive
    BodyHandler body = BodyHandler.create(false).setBodyLimit(cfg.http().maxBodyBytes())
        .setPreallocateBodyBuffer(false);

    var publish = rest.publish();
    var topics = rest.topics();
    var groups = rest.groups();

    // Identity and origin first, the same for every transport: other sites' pages are refused, allowed ones get
    // CORS; then the caller's token is verified once (the static dashboard, health and metrics need none).
    OriginGuard origins = new OriginGuard(cfg.http().allowedOrigins());
    router.route().handler(origins);
    var cors = origins.cors();
    if (cors != null) {
      // only for allowed origins: vertx-web's CorsHandler refuses every other origin, the page's own included
      router.route().handler(ctx -> {
        String origin = ctx.request().getHeader("Origin");
        if (origin != null && origins.allowed(origin)) {
          cors.handle(ctx);
        } else {
          ctx.next();
        }
      });
    }
    if (auth.required()) {
      // with auth.mode none everyone is anonymous and allowed everything: no routes to pass through for that
      IdentityHandler identity = new IdentityHandler(auth);
      for (String path : new String[] {"/topics", "/topics/*", "/groups", "/me", "/events", "/stats",
          "/webhooks", "/webhooks/*"}) {
        router.route(path).handler(identity);
      }
      router.route("/ws").handler(IdentityHandler.orAuthFrame(auth)); // or later, with an auth frame
      // Permissions are checked before any body is read (a route of their own: vertx-web reads bodies first)
      Guards may = new Guards(auth);
      router.post("/topics/:topic/records").handler(may.publish());
      router.post("/topics/:topic").handler(may.publish());
      get(router, "/topics/:topic/records").handler(may.subscribe());
      get(router, "/topics/:topic").handler(may.use());
      router.delete("/topics/:topic").handler(may.admin());
      router.post("/topics").handler(may.admin());
      get(router, "/groups").handler(may.admin());
      router.route("/webhooks").handler(may.admin());
      router.route("/webhooks/*").handler(may.admin());
    }

    router.post("/topics/:topic/records").consumes("application/json").handler(body).handler(publish::publishJson);
    get(router, "/topics/:topic/records").handler(topics::records);
    router.post("/topics/:topic").consumes("text/plain").consumes("application/octet-stream")
        .handler(body).handler(publish::publishRaw);
    get(router, "/topics/:topic").handler(topics::describe);
    router.delete("/topics/:topic").handler(topics::delete);
    get(router, "/topics").handler(topics::list);
    router.post("/topics").consumes("application/json").handler(body).handler(topics::create);
    get(router, "/groups").handler(groups::list);
    var hooks = rest.webhooks();
    router.post("/webhooks").consumes("application/json").handler(body).handler(hooks::create);
    get(router, "/webhooks").handler(hooks::list);
    get(router, "/webhooks/:name").handler(hooks::get);
    router.delete("/webhooks/:name").handler(hooks::delete);
    get(router, "/webhooks/:name/status").handler(hooks::status);
    router.post("/webhooks/:name/redrive").handler(hooks::redrive);
    get(router, "/me").handler(ctx -> Problems.json(ctx, 200, IdentityHandler.identity(ctx).toJson()));
    Fanout fanout = streams.fanoutFor(context);
    ws = new WsEndpoint(new StreamContext(context, fanout, streams, streams.wsSessions()), publishing,
        cfg.publish().timeout(), auth);
    router.get("/ws").handler(ws::handle);
    sse = new SseEndpoint(new StreamContext(context, fanout, streams, streams.sseSessions()),
        cfg.sse().heartbeat(), auth);
    router.get("/events").handler(sse::handle);

    HealthCheckHandler live = HealthCheckHandler.create(vertx)
        .register("event-loop", p -> p.complete(Status.OK()));
    HealthCheckHandler ready = HealthCheckHandler.create(vertx)
        .register("kafka", p -> p.complete(health.isUp()
            ? Status.OK(health.status()) : Status.KO(health.status())))
        .register("feed", p -> p.complete(streams.feed().isUp()
            ? Status.OK(streams.feed().status()) : Status.KO(streams.feed().status())));
    get(router, "/health/live").handler(live);
    get(router, "/health/ready").handler(ready);
    get(router, "/health").handler(ready);
    // vertx-micrometer's scraping handler (Prometheus text, or OpenMetrics when the scraper asks for it)
    get(router, "/metrics").handler(PrometheusScrapingHandler.create(metrics.registry()));

    get(router, "/stats").handler(rest.stats()::get);
    get(router, "/openapi.json").handler(ApiDocsEndpoint::openapi); // no identity needed, like the dashboard
    get(router, "/asyncapi.json").handler(ApiDocsEndpoint::asyncapi);
    // Front-end libraries packaged as WebJars (Maven Central), served from the classpath: no CDN at run time.
    get(router, "/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars").setCachingEnabled(true));
    // the dashboard names Chart.js without its version, so the page follows the WebJar the pom brings
    get(router, "/vendor/chart.umd.min.js").handler(ctx -> ctx.reroute(CHART_JS));
    router.route().method(HttpMethod.GET).method(HttpMethod.HEAD).handler(StaticHandler.create("webroot").setCachingEnabled(true));

    router.route().failureHandler(HttpErrors::failure);
    for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
      router.errorHandler(status, ctx -> HttpErrors.status(ctx, status));
    }
    return router;
  }

  /** A GET route that answers HEAD too (Vert.x sends the headers of the GET answer without its body). */
  private static io.vertx.ext.web.Route get(Router router, String path) {
    return router.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD);
  }
}
