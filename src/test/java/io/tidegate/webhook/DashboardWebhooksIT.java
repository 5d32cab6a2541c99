package io.tidegate.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.Browser;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.Jwts;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogEntry;

/**
 * The dashboard's Webhooks panel in Chromium, against a gateway in {@code auth.mode} jwt and a real receiver: it
 * shows a webhook's dead letters, its Redrive button sends them to the receiver again and the panel follows, and
 * an identity without admin does not see the panel.
 */
@GatewayIT
class DashboardWebhooksIT {
  static final Path SHOTS = Path.of("target", "screenshots");
  private static final String SECRET = "a-dashboard-webhook-secret-of-32-bytes";
  static TestGateway gw;
  static Browser browser;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(new JsonObject().put("auth", new JsonObject().put("mode", "jwt")
        .put("jwt", new JsonObject().put("secret", SECRET))));
    Awaits.until("the webhook definitions are read",
        () -> Http.get(gw.url("/webhooks"), "Authorization", admin()).status() == 200);
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    gw.close();
  }

  private static String admin() {
    return "Bearer " + token("ada", new JsonObject().put("admin", true)
        .put("publish", new JsonArray().add("*")).put("subscribe", new JsonArray().add("*")));
  }

  private static String token(String sub, JsonObject permissions) {
    return Jwts.hs256(SECRET, Jwts.claims(sub, 600).put("tidegate", permissions));
  }

  @Test
  void panelShowsDeadLettersAndItsRedriveButtonSendsThemToTheReceiverAgainAndNonAdminsDoNotSeeIt() {
    String topic = KafkaTestClients.uniqueTopic("dash-hook");
    KafkaTestClients.createTopic(topic, 1);
    AtomicInteger answer = new AtomicInteger(500);
    try (Receiver rx = new Receiver(c -> Receiver.Answer.of(answer.get()))) {
      String name = KafkaTestClients.uniqueTopic("dashhook");
      Http.Response created = Http.postJson(gw.url("/webhooks"), new JsonObject().put("name", name)
          .put("topics", new JsonArray().add(topic)).put("url", rx.url()).put("maxAttempts", 1), "Authorization", admin());
      assertEquals(201, created.status(), created.body());
      JsonArray records = new JsonArray();
      for (int i = 0; i < 3; i++) {
        records.add(new JsonObject().put("key", "k" + i).put("value", i));
      }
      Http.Response published = Http.postJson(gw.url("/topics/" + topic + "/records"),
          new JsonObject().put("records", records), "Authorization", admin());
      assertEquals(200, published.status(), published.body());

      browser.viewport(Browser.DESKTOP_WIDTH, Browser.DESKTOP_HEIGHT);
      browser.driver().get(gw.url("/"));
      browser.js("sessionStorage.clear();");
      browser.driver().navigate().refresh();
      waitForSignIn();
      signIn(admin().substring("Bearer ".length()));

      String card = "#webhooks-list article[data-webhook='" + name + "']";
      assertTrue(one("#webhooks").isDisplayed(), "an admin sees the Webhooks panel");
      assertTrue(one("#nav-webhooks").isDisplayed());
      browser.waitUntil("the panel shows three dead letters", Duration.ofSeconds(60),
          () -> "3".equals(text(card + " .wh-dead")) && "3".equals(text(card + " .wh-waiting")));
      assertTrue(text(card + " .wh-target").contains(topic) && text(card + " .wh-target").contains(rx.url()),
          text(card + " .wh-target"));
      assertTrue(text(card + " .wh-error").contains("HTTP 500"), text(card + " .wh-error"));
      assertEquals("0", text(card + " .wh-delivered"));
      // dead-lettered records are not lag: the lag is refreshed every 2 s from the committed offsets
      browser.waitUntil("dead-lettered records are not lag", Duration.ofSeconds(60), () -> "0".equals(text(card + " .wh-lag")));
      browser.js("document.querySelector(arguments[0]).scrollIntoView({block: 'center'});", card);
      browser.screenshot(SHOTS, "DashboardWebhooksIT-dead-letters-1280x800");

      answer.set(204);
      one(card + " button[aria-label='Redrive " + name + "']").click();
      Awaits.until("the receiver accepted the three dead letters", Duration.ofSeconds(60), () -> rx.accepted().size() == 3);
      assertEquals(Set.of(topic + "-0-0", topic + "-0-1", topic + "-0-2"),
          rx.accepted().stream().map(c -> c.header("webhook-id")).collect(Collectors.toSet()));
      browser.waitUntil("the panel shows the redrive done", Duration.ofSeconds(60),
          () -> text(card + " .wh-result").startsWith("Redrive done: 3 delivered, 0 failed again")
              && "0".equals(text(card + " .wh-waiting")) && "3".equals(text(card + " .wh-delivered")));
      browser.js("document.querySelector(arguments[0]).scrollIntoView({block: 'center'});", card);
      browser.screenshot(SHOTS, "DashboardWebhooksIT-redriven-1280x800");
      browser.viewport(Browser.PHONE_WIDTH, Browser.PHONE_HEIGHT);
      browser.js("document.querySelector(arguments[0]).scrollIntoView({block: 'center'});", card);
      browser.screenshot(SHOTS, "DashboardWebhooksIT-redriven-390x844");
      long width = ((Number) browser.js("return document.documentElement.scrollWidth")).longValue();
      assertTrue(width <= Browser.PHONE_WIDTH, "the page fits a 390 px phone without sideways scrolling (is " + width + " px)");
      browser.viewport(Browser.DESKTOP_WIDTH, Browser.DESKTOP_HEIGHT);

      // without admin: no panel, no link, no request for webhooks
      one("#signout").click();
      waitForSignIn();
      signIn(token("bob", new JsonObject().put("subscribe", new JsonArray().add("*"))));
      assertFalse(one("#webhooks").isDisplayed(), "no Webhooks panel without admin");
      assertFalse(one("#nav-webhooks").isDisplayed());
      List<LogEntry> errors = browser.consoleLog().stream()
          .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
          .filter(e -> !e.getMessage().contains("Failed to load resource")).toList();
      assertTrue(errors.isEmpty(), "no errors in the browser console: " + errors);
    }
  }

  private static void waitForSignIn() {
    browser.waitUntil("the sign-in form is shown", Duration.ofSeconds(30), () -> Boolean.TRUE.equals(browser.js(
        "return document.getElementById('signin-dialog').open && document.documentElement.dataset.auth === 'signin';")));
  }

  private static void signIn(String token) {
    WebElement e = one("#signin-token");
    e.clear();
    e.sendKeys(token);
    one("#signin-submit").click();
    browser.waitUntil("signed in", Duration.ofSeconds(30), () -> Boolean.TRUE.equals(browser.js(
        "return !document.getElementById('signin-dialog').open && document.documentElement.dataset.ready === 'true';")));
  }

  private static WebElement one(String css) {
    return browser.driver().findElement(By.cssSelector(css));
  }

  private static String text(String css) {
    return browser.js("const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : null;", css);
  }
}
