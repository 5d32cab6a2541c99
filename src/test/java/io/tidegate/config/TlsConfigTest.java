package io.tidegate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.config.TidegateConfig.Tls.ClientAuth;
import io.tidegate.testing.Certs;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code http.tls.*} and {@code auth.certificateRoles}: read and checked at start-up, every refusal naming its key. */
class TlsConfigTest {
  private static final String SECRET = "a-test-secret-of-at-least-32-bytes-long!";
  static Certs.Issued ca;
  static Certs.Issued server;
  static Certs.Issued other;
  static Path chain;

  @BeforeAll
  static void certificates() {
    ca = Certs.ca("config-ca");
    server = Certs.server(ca, "gateway");
    other = Certs.server(ca, "another");
    chain = Certs.concat("chain", server, ca);
  }

  private static JsonObject tls(JsonObject tls) {
    return new JsonObject().put("http", new JsonObject().put("tls", tls));
  }

  private static JsonObject pair(Path cert, Path key) {
    return new JsonObject().put("certPath", cert.toString()).put("keyPath", key.toString());
  }

  private static String refused(JsonObject config) {
    return assertThrows(ConfigException.class, () -> ConfigParser.parse(config)).key();
  }

  @Test
  void withoutSettingsTheListenerIsPlain() {
    assertTrue(ConfigParser.parse(new JsonObject()).http().tls().isEmpty());
  }

  @Test
  void aCertificateChainAndItsKeyTurnTlsOn() {
    TidegateConfig.Tls t = ConfigParser.parse(tls(pair(chain, server.keyPath()))).http().tls().orElseThrow();
    assertTrue(t.certPem().contains(server.certPem().trim()));
    assertTrue(t.certPem().contains(ca.certPem().trim()), "the whole chain is served");
    assertEquals(ClientAuth.NONE, t.clientAuth());
    assertEquals(null, t.clientCaPem());
    assertFalse(t.toString().contains("PRIVATE"), "the key is never printed");
  }

  @Test
  void clientCasAskForACertificateUnlessRequiredIsSaid() {
    JsonObject withCa = pair(server.certPath(), server.keyPath()).put("clientCaPath", ca.certPath().toString());
    assertEquals(ClientAuth.REQUEST, ConfigParser.parse(tls(withCa)).http().tls().orElseThrow().clientAuth());
    assertEquals(ClientAuth.REQUIRED, ConfigParser.parse(tls(withCa.copy().put("clientAuth", "required")))
        .http().tls().orElseThrow().clientAuth());
    assertEquals("http.tls.clientAuth", refused(tls(withCa.copy().put("clientAuth", "sometimes"))));
    assertEquals("http.tls.clientAuth", refused(tls(withCa.copy().put("clientAuth", "none"))), "CAs never used");
    assertEquals("http.tls.clientAuth", refused(tls(pair(server.certPath(), server.keyPath())
        .put("clientAuth", "required"))), "required with no CA to check against");
  }

  @Test
  void halfAPairIsRefusedNamingTheMissingHalf() {
    assertEquals("http.tls.keyPath", refused(tls(new JsonObject().put("certPath", server.certPath().toString()))));
    assertEquals("http.tls.certPath", refused(tls(new JsonObject().put("keyPath", server.keyPath().toString()))));
    assertEquals("http.tls.clientCaPath", refused(tls(new JsonObject().put("clientCaPath", ca.certPath().toString()))));
  }

  @Test
  void unreadableFilesAreRefusedNamingTheKey() {
    Path missing = Path.of("/nonexistent/tidegate.pem");
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigParser.parse(tls(pair(missing, server.keyPath()))));
    assertEquals("http.tls.certPath", e.key());
    assertTrue(e.getMessage().contains("/nonexistent/tidegate.pem"), e.getMessage());
    assertEquals("http.tls.keyPath", refused(tls(pair(server.certPath(), missing))));
    assertEquals("http.tls.clientCaPath", refused(tls(pair(server.certPath(), server.keyPath())
        .put("clientCaPath", missing.toString()))));
  }

  @Test
  void filesThatAreNotPemAreRefusedNamingTheKey() {
    Path text = Certs.file("text.pem", "not a certificate\n");
    Path broken = Certs.file("broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    Path brokenKey = Certs.file("broken.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    assertEquals("http.tls.certPath", refused(tls(pair(text, server.keyPath()))));
    assertEquals("http.tls.certPath", refused(tls(pair(broken, server.keyPath()))));
    assertEquals("http.tls.keyPath", refused(tls(pair(server.certPath(), text))));
    assertEquals("http.tls.keyPath", refused(tls(pair(server.certPath(), brokenKey))));
    assertEquals("http.tls.keyPath", refused(tls(pair(server.certPath(), server.certPath()))), "a certificate, no key");
    assertEquals("http.tls.clientCaPath", refused(tls(pair(server.certPath(), server.keyPath())
        .put("clientCaPath", text.toString()))));
  }

  @Test
  void aKeyOfAnotherCertificateIsRefused() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigParser.parse(tls(pair(server.certPath(), other.keyPath()))));
    assertEquals("http.tls.keyPath", e.key());
    assertTrue(e.getMessage().contains("is not the private key"), e.getMessage());
  }

  @Test
  void certificateRolesMustBeRolesAndNeedClientCas() {
    JsonObject auth = new JsonObject().put("mode", "jwt").put("jwt", new JsonObject().put("secret", SECRET))
        .put("roles", new JsonObject().put("device", new JsonObject().put("publish", new JsonArray().add("telemetry"))));
    JsonObject withCa = pair(server.certPath(), server.keyPath()).put("clientCaPath", ca.certPath().toString());
    TidegateConfig c = ConfigParser.parse(tls(withCa).put("auth", auth.copy().put("certificateRoles",
        new JsonArray().add("device"))));
    assertEquals(List.of("device"), c.auth().certificateRoles());
    assertEquals("auth.certificateRoles", refused(tls(withCa).put("auth", auth.copy()
        .put("certificateRoles", new JsonArray().add("nobody")))));
    assertEquals("auth.certificateRoles", refused(tls(pair(server.certPath(), server.keyPath()))
        .put("auth", auth.copy().put("certificateRoles", new JsonArray().add("device")))), "no client CAs");
    assertEquals("auth.certificateRoles", refused(new JsonObject()
        .put("auth", auth.copy().put("certificateRoles", new JsonArray().add("device")))), "no TLS");
    assertEquals("auth.certificateRoles", refused(tls(withCa).put("auth", auth.copy().put("mode", "none")
        .put("certificateRoles", new JsonArray().add("device")))), "mode none identifies nobody");
  }

  @Test
  void theEnvironmentSetsEveryKey() {
    JsonObject merged = ConfigLoader.overlay(new JsonObject().put("auth", new JsonObject().put("mode", "jwt")
        .put("jwt", new JsonObject().put("secret", SECRET))
        .put("roles", new JsonObject().put("device", new JsonObject()).put("sensor", new JsonObject()))), Map.of(
        "TIDEGATE_HTTP_TLS_CERT_PATH", chain.toString(),
        "TIDEGATE_HTTP_TLS_KEY_PATH", server.keyPath().toString(),
        "TIDEGATE_HTTP_TLS_CLIENT_CA_PATH", ca.certPath().toString(),
        "TIDEGATE_HTTP_TLS_CLIENT_AUTH", "required",
        "TIDEGATE_AUTH_CERTIFICATE_ROLES", "device, sensor"));
    TidegateConfig c = ConfigParser.parse(merged);
    assertEquals(ClientAuth.REQUIRED, c.http().tls().orElseThrow().clientAuth());
    assertEquals(List.of("device", "sensor"), c.auth().certificateRoles());
  }
}
