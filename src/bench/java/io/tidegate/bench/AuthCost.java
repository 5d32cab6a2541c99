package io.tidegate.bench;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The cost of auth: the same benchmark phase against a gateway with {@code auth.mode} none and against one with
 * {@code auth.mode} jwt (HS256), in the same run, and the ratio of the two.
 *
 * <p>The jwt gateway is started by the script with a config written by {@link #main} (the shipped
 * {@code conf/config.json} plus an {@code auth} section with a fresh secret and one role). This class signs the
 * clients' tokens with that secret through vertx-auth-jwt: {@code sub}, {@code exp} an hour ahead, and either a
 * {@code tidegate} claim with publish and subscribe patterns, or a {@code roles} claim mapped through
 * {@code auth.roles} to the same permissions.
 */
final class AuthCost {
  /** The permissions both kinds of token carry: the patterns the benchmarks need among a few they do not. */
  static final JsonObject PERMISSIONS = new JsonObject()
      .put("publish", new JsonArray().add("orders.*").add("bench-*").add("audit"))
      .put("subscribe", new JsonArray().add("orders.*").add("notifications").add("fanout-*").add("bench-*"))
      .put("groups", new JsonArray().add("billing-*"));
  static final String ROLE = "bench-client";

  /** One gateway as the benchmark sees it; {@code token} null for the auth-off gateway. */
  record Target(String key, String label, String url, long pid, String token) {
    int port() {
      return URI.create(url).getPort();
    }

    /** {@code Authorization} header value, or null. */
    String bearer() {
      return token == null ? null : "Bearer " + token;
    }

    /** {@code ?access_token=...} (or {@code &...} after {@code sep}), or "" without a token. */
    String query(char sep) {
      return token == null ? "" : sep + "access_token=" + token;
    }
  }

  /** One measured phase of one target, for the side-by-side table; heap after a full GC at the phase's end. */
  record Result(String phase, Target target, double rate, double p50, double p99, double cores, double heapMb) {
    /** The gateway's CPU time per record (publish) or delivery (fan-out), in µs. */
    double cpuMicros() {
      return rate > 0 ? cores * 1e6 / rate : Double.NaN;
    }
  }

  private final List<Target> targets = new ArrayList<>();
  private final List<Result> results = new ArrayList<>();

  /**
   * The gateway under {@code --gateway}/{@code --gateway-port} and {@code --gateway-pid} (auth off), and, with
   * {@code --auth-gateway}, {@code --auth-gateway-pid} and {@code --auth-config}, the jwt gateway twice: once with
   * a token carrying its permissions in the {@code tidegate} claim, once with a token naming a role
   * ({@code --auth-variants=claim,role}). {@code --auth-order=on-first} measures auth off last in each phase.
   */
  AuthCost(Vertx vertx, Map<String, String> a, String gatewayUrl, long gatewayPid) throws Exception {
    targets.add(new Target("off", "auth off", gatewayUrl, gatewayPid, null));
    String authUrl = a.get("auth-gateway");
    if (authUrl == null) {
      return;
    }
    long authPid = Long.parseLong(a.getOrDefault("auth-gateway-pid", "-1"));
    JsonObject config = new JsonObject(Files.readString(Path.of(a.get("auth-config"))));
    String secret = config.getJsonObject("auth").getJsonObject("jwt").getString("secret");
    JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    JWTOptions hourAhead = new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(3600);
    String claim = signer.generateToken(new JsonObject().put("sub", "bench-claim").put("tidegate", PERMISSIONS.copy()),
        hourAhead);
    String role = signer.generateToken(new JsonObject().put("sub", "bench-role")
        .put("roles", new JsonArray().add("viewer").add(ROLE)), hourAhead);
    List<String> variants = List.of(a.getOrDefault("auth-variants", "claim,role").split(","));
    if (variants.contains("claim")) {
      targets.add(check(new Target("claim", "auth jwt, tidegate claim", authUrl, authPid, claim)));
    }
    if (variants.contains("role")) {
      targets.add(check(new Target("role", "auth jwt, role", authUrl, authPid, role)));
    }
    if ("on-first".equals(a.get("auth-order"))) {
      targets.add(targets.remove(0)); // the same phases, auth off measured last: shows any bias of the order
    }
  }

  List<Target> targets() {
    return targets;
  }

  void add(Result r) {
    results.add(r);
  }

  /**
   * Makes sure the jwt gateway really asks for a token (401 without one) and accepts this one (200 on
   * {@code GET /me}), so that a misconfigured run cannot pass for a measurement of auth.
   */
  private static Target check(Target t) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    int without = http.send(HttpRequest.newBuilder(URI.create(t.url() + "/me")).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
    HttpResponse<String> with = http.send(HttpRequest.newBuilder(URI.create(t.url() + "/me"))
        .header("Authorization", t.bearer()).build(), HttpResponse.BodyHandlers.ofString());
    if (without != 401 || with.statusCode() != 200) {
      throw new IllegalStateException("the jwt gateway at " + t.url() + " answered GET /me " + without
          + " without a token and " + with.statusCode() + " with one (" + with.body() + "): expected 401 and 200");
    }
    System.out.println("auth on (" + t.label() + "): GET /me without a token 401, with the token 200 " + with.body());
    return t;
  }

  /** The side-by-side table: each phase's auth-on rows as a share of its auth-off row. */
  void print() {
    if (targets.size() < 2) {
      return;
    }
    System.out.println();
    System.out.println("== Auth cost: auth on / auth off, same run (ratios: rate higher is better, latency lower)");
    System.out.println(String.format(Locale.ROOT, "%-38s %-26s %10s %7s %8s %7s %8s %7s %6s %8s %7s %7s %7s", "phase",
        "gateway", "rate/s", "ratio", "p50 ms", "ratio", "p99 ms", "ratio", "cores", "CPU µs", "ratio", "heap MB", "ratio"));
    System.out.println("(rate: records/s published, or deliveries/s for fan-out; CPU µs: the gateway's CPU time per record or"
        + " delivery; heap: after a full GC at the phase's end)");
    Map<String, Result> off = new LinkedHashMap<>();
    for (Result r : results) {
      if (r.target().token() == null) {
        off.put(r.phase(), r);
      }
    }
    for (Result r : results) {
      Result base = off.get(r.phase());
      boolean self = r == base || base == null;
      System.out.println(String.format(Locale.ROOT, "%-38s %-26s %10s %7s %8s %7s %8s %7s %6s %8s %7s %7s %7s",
          r.phase(), r.target().label(), num(r.rate(), 0), self ? "" : ratio(r.rate(), base.rate()),
          num(r.p50(), 1), self ? "" : ratio(r.p50(), base.p50()),
          num(r.p99(), 1), self ? "" : ratio(r.p99(), base.p99()),
          num(r.cores(), 2), num(r.cpuMicros(), 1), self ? "" : ratio(r.cpuMicros(), base.cpuMicros()),
          num(r.heapMb(), 0), self ? "" : ratio(r.heapMb(), base.heapMb())));
    }
  }

  private static String ratio(double on, double off) {
    return off > 0 && !Double.isNaN(on) ? String.format(Locale.ROOT, "%.1f%%", 100.0 * on / off) : "-";
  }

  private static String num(double v, int decimals) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  /**
   * Writes the jwt gateway's config: {@code args[0]} (the shipped config) with an {@code auth} section, a fresh
   * 32-byte HS256 secret and the role {@value #ROLE}, to {@code args[1]}.
   */
  public static void main(String[] args) throws Exception {
    JsonObject config = new JsonObject(Files.readString(Path.of(args[0])));
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    config.put("auth", new JsonObject().put("mode", "jwt")
        .put("jwt", new JsonObject().put("secret", HexFormat.of().formatHex(secret)))
        .put("roles", new JsonObject()
            .put("viewer", new JsonObject().put("subscribe", new JsonArray().add("public.*")))
            .put(ROLE, PERMISSIONS.copy())));
    Files.writeString(Path.of(args[1]), config.encodePrettily());
  }
}
