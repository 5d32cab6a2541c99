package io.tidegate.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.error.ApiError;
import io.tidegate.testing.Certs;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A verified client certificate to an identity: its CN, and the permissions of auth.certificateRoles. */
class CertificateIdentitiesTest {
  static Certs.Issued ca;
  static CertificateIdentities identities;

  @BeforeAll
  static void setUp() {
    ca = Certs.ca("unit-client-ca");
    identities = new CertificateIdentities(new RoleMapper(Map.of(
        "device", new JsonObject().put("publish", new JsonArray().add("telemetry"))
            .put("subscribe", new JsonArray().add("commands"))
            .put("filters", new JsonObject().put("commands", new JsonObject().put("key", "${sub}"))),
        "unused", new JsonObject().put("admin", true),
        "needs-a-claim", new JsonObject().put("subscribe", new JsonArray().add("alerts"))
            .put("filters", new JsonObject().put("alerts", new JsonObject().put("key", "${claim.tenant}"))))),
        List.of("device", "needs-a-claim"));
  }

  @Test
  void theSubjectIsTheMostSpecificCommonName() {
    assertEquals("sensor-7", CertificateIdentities.subject(Certs.client(ca, "CN=sensor-7,OU=devices,O=Acme")
        .certificate()));
    assertEquals("leaf", CertificateIdentities.subject(Certs.client(ca, "CN=leaf,CN=outer,O=Acme").certificate()));
  }

  @Test
  void aCertificateWithoutACommonNameIsRefusedWith401() {
    ApiError e = assertThrows(ApiError.class, () -> identities.identify(
        Certs.client(ca, "OU=devices,O=Acme").certificate(), System.currentTimeMillis()));
    assertEquals(401, e.status());
  }

  @Test
  void theRolesAreMappedWithTheCommonNameForSubAndExpireWithTheCertificate() {
    Certs.Issued c = Certs.client(ca, "CN=sensor-7,O=Acme");
    Identity id = identities.identify(c.certificate(), System.currentTimeMillis());
    assertEquals("sensor-7", id.subject());
    assertEquals(c.certificate().getNotAfter().getTime(), id.expiresAtMs());
    assertTrue(id.permissions().mayPublish("telemetry"));
    assertFalse(id.permissions().mayPublish("commands"));
    assertFalse(id.permissions().admin(), "only the listed roles");
    assertEquals(Optional.of(new JsonObject().put("key", "sensor-7")), id.permissions().forcedFilter("commands"));
    assertFalse(id.permissions().maySubscribe("alerts"), "a role whose placeholder cannot be filled is not granted");
  }

  @Test
  void outsideItsValidityTheCertificateIdentifiesNobody() {
    Certs.Issued c = Certs.client(ca, "CN=sensor-8,O=Acme");
    long afterExpiry = c.certificate().getNotAfter().getTime() + 1;
    assertEquals(401, assertThrows(ApiError.class, () -> identities.identify(c.certificate(), afterExpiry)).status());
    long beforeStart = c.certificate().getNotBefore().getTime() - 1;
    assertEquals(401, assertThrows(ApiError.class, () -> identities.identify(c.certificate(), beforeStart)).status());
  }
}
