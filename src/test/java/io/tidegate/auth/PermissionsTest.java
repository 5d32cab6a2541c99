package io.tidegate.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.codec.RecordFilter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PermissionsTest {

  @Test
  void patternsAreNamesOrPrefixesEndingInAStar() {
    assertTrue(new TopicPattern("orders").matches("orders"));
    assertFalse(new TopicPattern("orders").matches("orders.eu"));
    assertTrue(new TopicPattern("orders.*").matches("orders.eu"));
    assertFalse(new TopicPattern("orders.*").matches("orders"));
    assertTrue(new TopicPattern("*").matches("anything"));
    assertThrows(IllegalArgumentException.class, () -> new TopicPattern("or*ders"));
    assertThrows(IllegalArgumentException.class, () -> new TopicPattern(""));
  }

  @Test
  void kafkasInternalTopicsAreNeverAllowedEvenToEverything() {
    assertFalse(Permissions.ALL.maySubscribe("__consumer_offsets"));
    assertFalse(Permissions.ALL.mayPublish("__transaction_state"));
    assertTrue(Permissions.ALL.maySubscribe("orders"));
    Permissions explicit = Permissions.fromJson(new JsonObject().put("subscribe", new JsonArray().add("__*")));
    assertFalse(explicit.maySubscribe("__consumer_offsets"));
  }

  @Test
  void theShapeIsCheckedWithAReason() {
    assertEquals("unknown permission 'read' (publish, subscribe, groups, admin, filters)", assertThrows(
        IllegalArgumentException.class, () -> Permissions.fromJson(new JsonObject().put("read", true))).getMessage());
    assertThrows(IllegalArgumentException.class, () -> Permissions.fromJson(new JsonObject().put("publish", "orders")));
    assertThrows(IllegalArgumentException.class, () -> Permissions.fromJson(new JsonObject().put("admin", "yes")));
    assertThrows(IllegalArgumentException.class,
        () -> Permissions.fromJson(new JsonObject().put("filters", new JsonObject().put("t", "alice"))));
  }

  @Test
  void rolesGrantTheirPermissionsAndBindFiltersToTheToken() {
    RoleMapper roles = new RoleMapper(Map.of(
        "user", new JsonObject().put("subscribe", new JsonArray().add("notifications"))
            .put("filters", new JsonObject().put("notifications", new JsonObject().put("key", "${sub}"))),
        "tenant", new JsonObject().put("subscribe", new JsonArray().add("orders"))
            .put("filters", new JsonObject().put("orders",
                new JsonObject().put("headers", new JsonObject().put("tenant", "${claim.tenant}")))),
        "ops", new JsonObject().put("admin", true)));
    Permissions alice = roles.permissions(new JsonObject().put("sub", "alice").put("roles", new JsonArray().add("user")));
    assertTrue(alice.maySubscribe("notifications"));
    assertEquals(Optional.of(new JsonObject().put("key", "alice")), alice.forcedFilter("notifications"));
    assertFalse(alice.admin());

    Permissions t = roles.permissions(new JsonObject().put("sub", "bob").put("tenant", "acme").put("roles", "tenant"));
    assertEquals(Optional.of(new JsonObject().put("headers", new JsonObject().put("tenant", "acme"))), t.forcedFilter("orders"));

    Permissions noTenant = roles.permissions(new JsonObject().put("sub", "bob").put("roles", "tenant"));
    assertFalse(noTenant.maySubscribe("orders"), "a role whose filter cannot be bound is not granted");

    Permissions both = roles.permissions(new JsonObject().put("sub", "carol").put("roles", new JsonArray().add("ops").add("user"))
        .put("tidegate", new JsonObject().put("publish", new JsonArray().add("orders.*"))));
    assertTrue(both.admin());
    assertTrue(both.mayPublish("orders.eu"));
    assertTrue(both.maySubscribe("notifications"));
    assertFalse(both.mayPublish("payments"));
  }

  @Test
  void aBadRoleInConfigIsRefusedNamingTheRole() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new RoleMapper(Map.of("reader", new JsonObject().put("subscribe", "orders"))));
    assertTrue(e.getMessage().startsWith("role 'reader': "), e.getMessage());
  }

  private static RecordFilter filter(String json) {
    return RecordFilter.parse(new JsonObject(json));
  }

  @Test
  void theForcedFilterGoesOnTopOfTheClientsOwn() {
    Permissions p = Permissions.fromJson(new JsonObject().put("subscribe", new JsonArray().add("*"))
        .put("filters", new JsonObject().put("notifications", new JsonObject().put("key", "alice"))));
    assertEquals(filter("{\"key\":\"alice\"}"), p.filterFor("notifications", RecordFilter.ALL));
    assertEquals(filter("{\"key\":\"alice\",\"headers\":{\"kind\":\"x\"}}"),
        p.filterFor("notifications", filter("{\"headers\":{\"kind\":\"x\"}}")));
    assertSame(RecordFilter.NONE, p.filterFor("notifications", filter("{\"key\":\"bob\"}")),
        "asking for another user's key gets nothing, not the other user's records");
    RecordFilter own = filter("{\"key\":\"bob\"}");
    assertSame(own, p.filterFor("orders", own), "topics without a forced filter keep the client's");
    assertSame(RecordFilter.ALL, Permissions.ALL.filterFor("notifications", RecordFilter.ALL));
  }

  @Test
  void everyPatternThatNamesATopicForcesItsFilter() {
    Permissions p = Permissions.fromJson(new JsonObject().put("subscribe", new JsonArray().add("*"))
        .put("filters", new JsonObject()
            .put("notif*", new JsonObject().put("headers", new JsonObject().put("tenant", "acme")))
            .put("notifications", new JsonObject().put("key", "alice"))));
    assertEquals(filter("{\"key\":\"alice\",\"headers\":{\"tenant\":\"acme\"}}"),
        p.filterFor("notifications", RecordFilter.ALL));
    assertEquals(filter("{\"headers\":{\"tenant\":\"acme\"}}"), p.filterFor("notif.eu", RecordFilter.ALL));
  }

  @Test
  void aFilterThatCannotBeAppliedRefusesTheGrant() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Permissions.fromJson(
        new JsonObject().put("filters", new JsonObject().put("t", new JsonObject().put("key", 7)))));
    assertTrue(e.getMessage().contains("'t'") && e.getMessage().contains("filter.key"), e.getMessage());
    IllegalArgumentException role = assertThrows(IllegalArgumentException.class, () -> new RoleMapper(Map.of("user",
        new JsonObject().put("filters", new JsonObject().put("t", new JsonObject().put("colour", "${sub}"))))));
    assertTrue(role.getMessage().startsWith("role 'user': "), role.getMessage());
  }

  @Test
  void aValueConditionThatIsOnePlaceholderTakesTheClaimsType() {
    RoleMapper roles = new RoleMapper(Map.of("user", new JsonObject().put("subscribe", new JsonArray().add("n"))
        .put("filters", new JsonObject().put("n", new JsonObject()
            .put("value", new JsonObject().put("user.id", "${claim.uid}").put("label", "u-${claim.uid}"))
            .put("key", "${claim.uid}")))));
    Permissions p = roles.permissions(new JsonObject().put("sub", "a").put("uid", 7).put("roles", "user"));
    assertEquals(filter("{\"key\":\"7\",\"value\":{\"user.id\":7,\"label\":\"u-7\"}}"),
        p.filterFor("n", RecordFilter.ALL));
    Permissions text = roles.permissions(new JsonObject().put("sub", "a").put("uid", "u7").put("roles", "user"));
    assertEquals(filter("{\"key\":\"u7\",\"value\":{\"user.id\":\"u7\",\"label\":\"u-u7\"}}"),
        text.filterFor("n", RecordFilter.ALL));
    Permissions none = roles.permissions(new JsonObject().put("sub", "a").put("uid", new JsonObject()).put("roles", "user"));
    assertFalse(none.maySubscribe("n"), "a claim that is not a string, number or boolean binds nothing");
  }
}
