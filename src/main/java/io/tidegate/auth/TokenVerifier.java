package io.tidegate.auth;

import io.tidegate.error.ApiError;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.NoSuchKeyIdException;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * Verifies a JWT with vertx-auth-jwt: the signature against an HMAC secret, PEM public keys or a JWKS, then
 * {@code exp}, {@code nbf}, {@code iss} and {@code aud} with clock skew (30 s by default); then maps its claims to
 * an {@link Identity}. Tokens whose header names no algorithm, {@code none}, or one no configured key is for are
 * refused before any key is tried (no algorithm confusion: an RS256 key is never used as an HMAC secret).
 */
public final class TokenVerifier {
  /** The clock skew allowed on {@code exp} and {@code nbf} unless configured ({@code auth.jwt.clockSkewSeconds}). */
  public static final int SKEW_SECONDS = 30;
  private static final Set<String> SIGNING = Set.of("HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
      "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA");

  private final JWTAuth fixed;
  private final JwksKeys jwks;
  private final Set<String> algorithms;
  private final RoleMapper roles;
  private final int skewSeconds;

  /** With the default {@link #SKEW_SECONDS} of clock skew. */
  public TokenVerifier(Vertx vertx, String hmacSecret, List<PublicKey> publicKeys, String jwksUrl, String issuer,
      String audience, RoleMapper roles, long jwksMinIntervalMs) {
    this(vertx, hmacSecret, publicKeys, jwksUrl, issuer, audience, roles, jwksMinIntervalMs, SKEW_SECONDS);
  }

  /**
   * @param hmacSecret  HS256 secret, or null
   * @param publicKeys  PEM public keys with their algorithms (RS256, ES256...)
   * @param jwksUrl     a JWKS to fetch keys from, or null
   * @param issuer      required {@code iss}, or null
   * @param audience    required {@code aud}, or null
   * @param skewSeconds clock skew allowed on {@code exp} and {@code nbf}, either way
   */
  public TokenVerifier(Vertx vertx, String hmacSecret, List<PublicKey> publicKeys, String jwksUrl, String issuer,
      String audience, RoleMapper roles, long jwksMinIntervalMs, int skewSeconds) {
    this.skewSeconds = skewSeconds;
    // exp and nbf are checked here (see times), so that the client is told which one failed
    JWTOptions checks = new JWTOptions().setIgnoreExpiration(true);
    if (issuer != null) {
      checks.setIssuer(issuer);
    }
    if (audience != null) {
      checks.addAudience(audience);
    }
    JWTAuthOptions options = new JWTAuthOptions().setJWTOptions(checks);
    Set<String> algs = new java.util.HashSet<>();
    if (hmacSecret != null) {
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(hmacSecret));
      algs.add("HS256");
    }
    for (PublicKey k : publicKeys) {
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm(k.algorithm()).setBuffer(k.pem()));
      algs.add(k.algorithm());
    }
    if (jwksUrl != null) {
      // a JWKS names each key's algorithm; asymmetric ones only (a published HMAC secret would be no secret)
      algs.addAll(Set.of("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"));
    }
    this.algorithms = Set.copyOf(algs);
    this.fixed = hmacSecret != null || !publicKeys.isEmpty() ? JWTAuth.create(vertx, options) : null;
    this.jwks = jwksUrl != null ? new JwksKeys(vertx, jwksUrl, jwksMinIntervalMs, options) : null;
    this.roles = roles;
    if (fixed == null && jwks == null) {
      throw new IllegalArgumentException("auth.mode jwt needs a key: auth.jwt.secret, auth.jwt.publicKeys or auth.jwt.jwksUrl");
    }
  }

  /** A PEM public key and the algorithm it verifies. */
  public record PublicKey(String algorithm, String pem) {}

  /** The identity a valid token carries; fails with a 401 {@link ApiError} otherwise. */
  public Future<Identity> verify(String token) {
    String alg;
    try {
      alg = algorithm(token);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    if (!algorithms.contains(alg)) {
      return Future.failedFuture(ApiError.unauthorized("the token's algorithm is not accepted here"));
    }
    Future<JWTAuth> provider = fixed != null && (jwks == null || alg.startsWith("HS"))
        ? Future.succeededFuture(fixed) : jwks.provider();
    return provider.compose(p -> authenticate(p, token))
        .recover(e -> e instanceof NoSuchKeyIdException && jwks != null
            ? jwks.refresh().compose(p -> authenticate(p, token)) : Future.failedFuture(e))
        .recover(e -> Future.failedFuture(e instanceof ApiError ? e : ApiError.unauthorized(reason(e))))
        .map(this::identity);
  }

  private static Future<JsonObject> authenticate(JWTAuth provider, String token) {
    // vertx-auth-jwt keeps the verified claims in the user's attributes, under "accessToken"
    return provider.authenticate(new TokenCredentials(token)).map(user -> {
      JsonObject claims = user.attributes().getJsonObject("accessToken");
      return claims != null ? claims : user.principal();
    });
  }

  private Identity identity(JsonObject claims) {
    times(claims, System.currentTimeMillis() / 1000, skewSeconds);
    Permissions p;
    try {
      p = roles.permissions(claims);
    } catch (IllegalArgumentException e) {
      throw ApiError.unauthorized(e.getMessage());
    }
    Object exp = claims.getValue("exp");
    long expiresAt = exp instanceof Number n ? n.longValue() * 1000 : 0;
    Object sub = claims.getValue("sub");
    return new Identity(sub instanceof String s ? s : null, expiresAt, p);
  }

  /** {@code exp} and {@code nbf}, each with {@code skew} seconds of clock skew either way. */
  static void times(JsonObject claims, long nowSeconds, int skew) {
    Object exp = claims.getValue("exp");
    Object nbf = claims.getValue("nbf");
    if (exp != null && !(exp instanceof Number) || nbf != null && !(nbf instanceof Number)) {
      throw ApiError.unauthorized("the token's exp and nbf must be numbers");
    }
    if (exp instanceof Number e && nowSeconds - skew >= e.longValue()) {
      throw ApiError.unauthorized("the token has expired");
    }
    if (nbf instanceof Number n && nowSeconds + skew < n.longValue()) {
      throw ApiError.unauthorized("the token is not valid yet");
    }
  }

  /** The header's {@code alg}, read without trusting anything else in the token. */
  static String algorithm(String token) {
    int dot = token.indexOf('.');
    if (dot <= 0 || token.indexOf('.', dot + 1) < 0) {
      throw ApiError.unauthorized("the token is not a JWT");
    }
    try {
      JsonObject header = new JsonObject(new String(Base64.getUrlDecoder().decode(token.substring(0, dot)),
          StandardCharsets.UTF_8));
      Object alg = header.getValue("alg");
      if (!(alg instanceof String a) || !SIGNING.contains(a)) {
        throw ApiError.unauthorized("the token is not signed with an accepted algorithm");
      }
      return a;
    } catch (IllegalArgumentException | io.vertx.core.json.DecodeException | ClassCastException e) {
      throw ApiError.unauthorized("the token is not a JWT");
    }
  }

  /** A reason for the client without the library's wording (which may quote claims back). */
  private static String reason(Throwable e) {
    String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
    if (m.contains("issuer")) {
      return "the token's issuer is not accepted";
    }
    if (m.contains("aud")) {
      return "the token's audience is not this gateway";
    }
    return "the token's signature is not valid";
  }

  /** How many times JWKS keys were fetched (0 without a JWKS). */
  public int jwksFetches() {
    return jwks == null ? 0 : jwks.fetches();
  }
}
