package io.tidegate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthConfigTest {
  private static final String SECRET = "a-test-secret-of-at-least-32-bytes-long!";

  private static JsonObject auth(JsonObject auth) {
    return new JsonObject().put("auth", auth);
  }

  @Test
  void withoutAuthenticationTheGatewayListensOnTheLoopbackOnly() {
    TidegateConfig c = ConfigParser.parse(new JsonObject());
    assertFalse(c.auth().jwt());
    assertEquals("127.0.0.1", c.http().host());
  }

  @Test
  void anAnonymousGatewayOnAnotherInterfaceIsRefusedNamingTheKey() {
    JsonObject open = new JsonObject().put("http", new JsonObject().put("host", "0.0.0.0"));
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse(open));
    assertEquals("auth.allowAnonymous", e.key());
    assertEquals("0.0.0.0", ConfigParser.parse(open.copy().put("auth", new JsonObject().put("allowAnonymous", true)))
        .http().host());
    assertEquals("0.0.0.0", ConfigParser.parse(auth(new JsonObject().put("mode", "jwt")
        .put("jwt", new JsonObject().put("secret", SECRET)))).http().host(), "with tokens the default is every interface");
  }

  @Test
  void jwtModeNeedsAKeyAndAStrongEnoughSecret() {
    assertEquals("auth.jwt", assertThrows(ConfigException.class,
        () -> ConfigParser.parse(auth(new JsonObject().put("mode", "jwt")))).key());
    assertEquals("auth.jwt.secret", assertThrows(ConfigException.class, () -> ConfigParser.parse(
        auth(new JsonObject().put("mode", "jwt").put("jwt", new JsonObject().put("secret", "short"))))).key());
    assertEquals("auth.mode", assertThrows(ConfigException.class,
        () -> ConfigParser.parse(auth(new JsonObject().put("mode", "basic")))).key());
    assertEquals("auth.jwt.publicKeys[0]", assertThrows(ConfigException.class, () -> ConfigParser.parse(
        auth(new JsonObject().put("mode", "jwt").put("jwt", new JsonObject().put("publicKeys",
            new JsonArray().add(new JsonObject().put("algorithm", "RS256").put("pem", "not a key"))))))).key());
  }

  @Test
  void theEnvironmentSetsModeSecretIssuerAudienceAndOrigins() {
    JsonObject merged = ConfigLoader.overlay(new JsonObject(), Map.of(
        "TIDEGATE_AUTH_MODE", "jwt", "TIDEGATE_AUTH_JWT_SECRET", SECRET, "TIDEGATE_AUTH_JWT_ISSUER", "https://id.example",
        "TIDEGATE_AUTH_JWT_AUDIENCE", "tidegate",
        "TIDEGATE_HTTP_ALLOWED_ORIGINS", "https://app.example.com, https://*.example.org"));
    TidegateConfig c = ConfigParser.parse(merged);
    assertTrue(c.auth().jwt());
    assertEquals("https://id.example", c.auth().issuer());
    assertEquals("tidegate", c.auth().audience());
    assertEquals(List.of("https://app.example.com", "https://*.example.org"), c.http().allowedOrigins());
    assertFalse(c.auth().toString().contains(SECRET), "the secret never reaches a log");
  }

  @Test
  void rolesMustBeObjects() {
    assertEquals("auth.roles.reader", assertThrows(ConfigException.class, () -> ConfigParser.parse(
        auth(new JsonObject().put("roles", new JsonObject().put("reader", "orders"))))).key());
  }

  @Test
  void theHandshakeWindowAndTheClockSkewHaveDefaultsAndBounds() {
    TidegateConfig c = ConfigParser.parse(new JsonObject());
    assertEquals(5, c.auth().handshakeSeconds());
    assertEquals(30, c.auth().clockSkewSeconds());
    TidegateConfig set = ConfigParser.parse(auth(new JsonObject().put("handshakeSeconds", 2)
        .put("jwt", new JsonObject().put("clockSkewSeconds", 0))));
    assertEquals(2, set.auth().handshakeSeconds());
    assertEquals(0, set.auth().clockSkewSeconds());
    assertEquals("auth.handshakeSeconds", assertThrows(ConfigException.class, () -> ConfigParser.parse(
        auth(new JsonObject().put("handshakeSeconds", 0)))).key(), "a socket needs some time to authenticate");
    assertEquals("auth.jwt.clockSkewSeconds", assertThrows(ConfigException.class, () -> ConfigParser.parse(
        auth(new JsonObject().put("jwt", new JsonObject().put("clockSkewSeconds", -1))))).key());
  }
}
