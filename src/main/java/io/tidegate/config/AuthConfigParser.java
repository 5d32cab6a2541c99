package io.tidegate.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The {@code auth} section, and the rule that an anonymous gateway listens on the loopback interface only. */
final class AuthConfigParser {
  static final Set<String> KEYS = Set.of("mode", "allowAnonymous", "jwt", "roles", "stampHeader", "certificateRoles",
      "handshakeSeconds");
  static final Set<String> JWT_KEYS = Set.of("secret", "publicKeys", "jwksUrl", "issuer", "audience",
      "jwksMinIntervalSeconds", "clockSkewSeconds");

  private AuthConfigParser() {}

  static TidegateConfig.Auth parse(ConfigParser.Reader r) {
    r.onlyKeys("auth", KEYS);
    r.onlyKeys("auth.jwt", JWT_KEYS);
    String mode = r.string("auth.mode", "none");
    if (!mode.equals("none") && !mode.equals("jwt")) {
      throw new ConfigException("auth.mode", "must be \"none\" or \"jwt\", got '" + mode + "'");
    }
    boolean jwt = mode.equals("jwt");
    String secret = blankToNull(r.string("auth.jwt.secret", ""));
    if (secret != null && secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
      throw new ConfigException("auth.jwt.secret", "must be at least 32 bytes for HS256");
    }
    String jwks = blankToNull(r.string("auth.jwt.jwksUrl", ""));
    if (jwks != null && !jwks.startsWith("https://") && !jwks.startsWith("http://")) {
      throw new ConfigException("auth.jwt.jwksUrl", "must be an http(s) URL");
    }
    List<TidegateConfig.Auth.Key> keys = publicKeys(r.object("auth").getValue("jwt") instanceof JsonObject j
        ? j.getValue("publicKeys") : null);
    if (jwt && secret == null && jwks == null && keys.isEmpty()) {
      throw new ConfigException("auth.jwt", "auth.mode jwt needs auth.jwt.secret, auth.jwt.publicKeys or auth.jwt.jwksUrl");
    }
    Map<String, JsonObject> roles = new LinkedHashMap<>();
    JsonObject rolesJson = r.object("auth.roles");
    for (String name : rolesJson.fieldNames()) {
      if (!(rolesJson.getValue(name) instanceof JsonObject spec)) {
        throw new ConfigException("auth.roles." + name, "must be an object like {\"subscribe\":[\"orders.*\"]}");
      }
      roles.put(name, spec);
    }
    return new TidegateConfig.Auth(jwt, r.bool("auth.allowAnonymous", false), secret, keys, jwks,
        blankToNull(r.string("auth.jwt.issuer", "")), blankToNull(r.string("auth.jwt.audience", "")),
        r.integer("auth.jwt.jwksMinIntervalSeconds", 30, 0, 3600), roles, stampHeader(r),
        certificateRoles(r, roles, jwt), (int) r.integer("auth.handshakeSeconds", 5, 1, 300),
        (int) r.integer("auth.jwt.clockSkewSeconds", 30, 0, 300));
  }

  /** A header name clients may not set: a token of letters, digits, '.', '_' and '-'. */
  private static String stampHeader(ConfigParser.Reader r) {
    String name = blankToNull(r.string("auth.stampHeader", ""));
    if (name != null && !name.matches("[A-Za-z0-9._-]{1,255}")) {
      throw new ConfigException("auth.stampHeader", "must be a header name like tidegate-subject (letters, digits, "
          + "'.', '_', '-'), got '" + name + "'");
    }
    return name;
  }

  /** {@code auth.certificateRoles}: a list of names from {@code auth.roles}, or a comma-separated string (env). */
  private static List<String> certificateRoles(ConfigParser.Reader r, Map<String, JsonObject> roles, boolean jwt) {
    Object raw = r.object("auth").getValue("certificateRoles");
    List<String> out = new ArrayList<>();
    if (raw instanceof String s) {
      for (String name : s.split(",")) {
        if (!name.isBlank()) {
          out.add(name.trim());
        }
      }
    } else if (raw instanceof JsonArray a) {
      for (Object name : a) {
        if (!(name instanceof String s)) {
          throw new ConfigException("auth.certificateRoles", "must be a list of role names from auth.roles");
        }
        out.add(s);
      }
    } else if (raw != null) {
      throw new ConfigException("auth.certificateRoles", "must be a list of role names from auth.roles");
    }
    for (String name : out) {
      if (!roles.containsKey(name)) {
        throw new ConfigException("auth.certificateRoles", "names role '" + name + "', which auth.roles does not define");
      }
    }
    if (!jwt && !out.isEmpty()) {
      throw new ConfigException("auth.certificateRoles", "identify clients in auth.mode jwt only; with mode none "
          + "everyone is anonymous and allowed everything");
    }
    return List.copyOf(out);
  }

  /**
   * Where to listen: with no authentication the gateway stays on 127.0.0.1 unless {@code auth.allowAnonymous}
   * says otherwise, so that a laptop's {@code java -jar} is never open to its network by accident.
   */
  static String host(ConfigParser.Reader r, TidegateConfig.Auth auth) {
    boolean open = auth.jwt() || auth.allowAnonymous();
    String host = r.string("http.host", open ? "0.0.0.0" : "127.0.0.1");
    if (!open && !loopback(host)) {
      throw new ConfigException("auth.allowAnonymous", "http.host is '" + host + "' but auth.mode is none: anyone who "
          + "reaches the port could read, publish and delete topics. Set auth.mode to jwt, or auth.allowAnonymous "
          + "to true (TIDEGATE_AUTH_ALLOW_ANONYMOUS=true) if that is what you want");
    }
    return host;
  }

  static List<String> origins(ConfigParser.Reader r) {
    Object raw = r.object("http").getValue("allowedOrigins");
    List<String> out = new ArrayList<>();
    if (raw instanceof String s) {
      for (String o : s.split(",")) {
        if (!o.isBlank()) {
          out.add(o.trim());
        }
      }
    } else if (raw instanceof JsonArray a) {
      for (Object o : a) {
        if (!(o instanceof String s)) {
          throw new ConfigException("http.allowedOrigins", "must be a list of origins like \"https://app.example.com\"");
        }
        out.add(s);
      }
    } else if (raw != null) {
      throw new ConfigException("http.allowedOrigins", "must be a list of origins or a comma-separated string");
    }
    for (String o : out) {
      if (!o.matches("https?://[A-Za-z0-9*.-]+(:\\d{1,5})?")) {
        throw new ConfigException("http.allowedOrigins", "'" + o + "' is not an origin like https://app.example.com");
      }
    }
    return List.copyOf(out);
  }

  private static boolean loopback(String host) {
    return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1") || host.startsWith("127.");
  }

  private static List<TidegateConfig.Auth.Key> publicKeys(Object raw) {
    if (raw == null) {
      return List.of();
    }
    if (!(raw instanceof JsonArray arr)) {
      throw new ConfigException("auth.jwt.publicKeys", "must be a list of {\"algorithm\":\"RS256\",\"path\":\"key.pem\"}");
    }
    List<TidegateConfig.Auth.Key> out = new ArrayList<>();
    for (int i = 0; i < arr.size(); i++) {
      String at = "auth.jwt.publicKeys[" + i + "]";
      if (!(arr.getValue(i) instanceof JsonObject k) || !(k.getValue("algorithm") instanceof String alg)) {
        throw new ConfigException(at, "must be {\"algorithm\":\"RS256\",\"path\":\"key.pem\"} or with \"pem\" inline");
      }
      if (!alg.matches("(RS|ES|PS)(256|384|512)")) {
        throw new ConfigException(at + ".algorithm", "must be RS256, ES256 (or another RS/ES/PS algorithm)");
      }
      String pem = k.getString("pem");
      if (pem == null && k.getValue("path") instanceof String path) {
        try {
          pem = Files.readString(Path.of(path));
        } catch (IOException e) {
          throw new ConfigException(at + ".path", "cannot be read: " + e.getMessage());
        }
      }
      if (pem == null || !pem.contains("-----BEGIN PUBLIC KEY-----")) {
        throw new ConfigException(at, "needs a PEM public key (\"pem\" or \"path\"), -----BEGIN PUBLIC KEY-----");
      }
      out.add(new TidegateConfig.Auth.Key(alg, pem));
    }
    return out;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
