package io.tidegate.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tidegate.config.TidegateConfig;
import io.tidegate.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/**
 * The one policy every transport asks: who a token is (verified once per connection, or per HTTP request through
 * a bounded cache) and whether that identity may do an operation on a topic or group. Denials are counted.
 */
public final class AuthPolicy {
  /** Verified tokens remembered for HTTP requests: bounded, and never past the token's own expiry. */
  private static final int CACHE_ENTRIES = 10_000;
  private static final Duration CACHE_TTL = Duration.ofSeconds(60);

  private final TokenVerifier verifier;
  private final CertificateIdentities certificates;
  private final Cache<String, Identity> verified;
  private final Counter unauthenticated;
  private final Counter forbidden;
  private final SubjectLimits limits;
  private final String stampHeader;
  private final Counter expired;
  private final long skewMs;
  private final long handshakeMs;

  private AuthPolicy(TokenVerifier verifier, CertificateIdentities certificates, SubjectLimits limits,
      TidegateConfig.Auth cfg, MeterRegistry registry) {
    this.verifier = verifier;
    this.certificates = certificates;
    this.limits = limits;
    this.stampHeader = cfg.stampHeader();
    this.skewMs = cfg.clockSkewSeconds() * 1000L;
    this.handshakeMs = cfg.handshakeSeconds() * 1000L;
    this.verified = Caffeine.newBuilder().maximumSize(CACHE_ENTRIES).expireAfterWrite(CACHE_TTL).build();
    this.unauthenticated = Counter.builder("tidegate.auth.denials").tag("reason", "unauthenticated")
        .description("Requests, handshakes and frames refused for a missing or invalid token").register(registry);
    this.forbidden = Counter.builder("tidegate.auth.denials").tag("reason", "forbidden")
        .description("Operations refused because the identity lacks the permission").register(registry);
    this.expired = Counter.builder("tidegate.auth.expiries")
        .description("WebSockets and SSE streams ended because their token expired").register(registry);
  }

  /** Without per-subject limits (tests, tools). */
  public static AuthPolicy create(Vertx vertx, TidegateConfig.Auth cfg, MeterRegistry registry) {
    return create(vertx, cfg, new TidegateConfig.Limits(Integer.MAX_VALUE, 0, 0, 0), registry);
  }

  public static AuthPolicy create(Vertx vertx, TidegateConfig.Auth cfg, TidegateConfig.Limits limitsCfg,
      MeterRegistry registry) {
    SubjectLimits limits = new SubjectLimits(limitsCfg, registry);
    if (!cfg.jwt()) {
      return new AuthPolicy(null, null, limits, cfg, registry);
    }
    List<TokenVerifier.PublicKey> keys = cfg.publicKeys().stream()
        .map(k -> new TokenVerifier.PublicKey(k.algorithm(), k.pem())).toList();
    RoleMapper roles = new RoleMapper(cfg.roles());
    return new AuthPolicy(new TokenVerifier(vertx, cfg.secret(), keys, cfg.jwksUrl(), cfg.issuer(), cfg.audience(),
        roles, cfg.jwksMinIntervalSeconds() * 1000, cfg.clockSkewSeconds()),
        new CertificateIdentities(roles, cfg.certificateRoles()), limits, cfg, registry);
  }

  /** True when every client needs a token ({@code auth.mode} jwt). */
  public boolean required() {
    return verifier != null;
  }

  /**
   * The identity behind {@code token} (null when the client sent none). Mode none: anonymous, whatever was sent.
   * Fails with a 401 {@link ApiError} otherwise.
   */
  public Future<Identity> identify(String token) {
    if (verifier == null) {
      return Future.succeededFuture(Identity.ANONYMOUS);
    }
    if (token == null || token.isBlank()) {
      unauthenticated.increment();
      return Future.failedFuture(ApiError.unauthorized("a bearer token is required"));
    }
    Identity known = verified.getIfPresent(token);
    if (known != null) {
      if (!known.expired(System.currentTimeMillis() - skewMs)) {
        return Future.succeededFuture(known);
      }
      verified.invalidate(token);
    }
    return verifier.verify(token)
        .onSuccess(id -> verified.put(token, id))
        .onFailure(e -> unauthenticated.increment());
  }

  /**
   * The identity behind a request: its bearer token when it sent one (the token wins), else the TLS client
   * certificate the handshake verified against {@code http.tls.clientCaPath} (null: none). Mode none: anonymous.
   * Fails with a 401 {@link ApiError} when there is neither, or what there is does not identify anyone.
   */
  public Future<Identity> identify(String token, X509Certificate certificate) {
    if (verifier == null || certificate == null || (token != null && !token.isBlank())) {
      return identify(token);
    }
    try {
      return Future.succeededFuture(certificates.identify(certificate, System.currentTimeMillis()));
    } catch (ApiError e) {
      unauthenticated.increment();
      return Future.failedFuture(e);
    }
  }

  /**
   * When a connection authenticated as {@code identity} must end: its token's {@code exp} plus the clock skew, the
   * same instant from which {@link #identify} refuses the token; 0 for never (no {@code exp}, or mode none).
   */
  public long lapsesAtMs(Identity identity) {
    return identity.expiresAtMs() > 0 ? identity.expiresAtMs() + skewMs : 0;
  }

  /** How long a WebSocket opened without a token has to send a valid {@code auth} frame ({@code auth.handshakeSeconds}). */
  public long handshakeMs() {
    return handshakeMs;
  }

  /** The 401 that ends a connection whose token lapsed (counted). */
  public ApiError expired() {
    expired.increment();
    return ApiError.unauthorized("the token expired");
  }

  /** A 401 for a client that has not authenticated (counted like a refused token). */
  public ApiError unauthenticated(String detail) {
    unauthenticated.increment();
    return ApiError.unauthorized(detail);
  }

  /** What {@code identity} may do, checked operation by operation. */
  public Access access(Identity identity) {
    return new Access(this, identity);
  }

  SubjectLimits limits() {
    return limits;
  }

  /** {@code auth.stampHeader}: the header published records carry with their publisher's subject; null: none. */
  String stampHeader() {
    return stampHeader;
  }

  /** Fails with 403 unless {@code allowed}; the answer never says whether the topic exists. */
  public void require(boolean allowed, String what) {
    if (!allowed) {
      forbidden.increment();
      throw ApiError.forbidden("not allowed to " + what);
    }
  }
}
