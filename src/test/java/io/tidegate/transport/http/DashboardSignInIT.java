package io.tidegate.transport.http;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Browser;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Jwts;
import io.tidegate.testing.KafkaBrokerExtension;
import io.tidegate.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogEntry;

/**
 * The dashboard in Chromium against a gateway in {@code auth.mode} jwt, with tokens signed in the test: it asks
 * for a token, refuses bad ones with a reason, shows who signed in, tails a topic written by a plain Kafka
 * producer, hides what the token does not allow, signs out, and asks again when a later request gets a 401.
 */
@GatewayIT
class DashboardSignInIT {
  static final Path SHOTS = Path.of("target", "screenshots");
  private static final String SECRET = "a-dashboard-test-secret-of-32-bytes+";
  static TestGateway gw;
  static Browser browser;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(new JsonObject().put("auth", new JsonObject().put("mode", "jwt")
        .put("jwt", new JsonObject().put("secret", SECRET))));
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    gw.close();
  }

  @BeforeEach
  void open() {
    browser.viewport(Browser.DESKTOP_WIDTH, Browser.DESKTOP_HEIGHT);
    browser.driver().get(gw.url("/"));
    browser.js("sessionStorage.clear();");
    browser.driver().navigate().refresh();
    waitForSignIn();
  }

  /** Screenshots of how the test ends, and no script errors (the gateway's 401s are logged by Chromium too). */
  @AfterEach
  void after(TestInfo info) {
    String name = getClass().getSimpleName() + "-" + info.getTestMethod().orElseThrow().getName();
    browser.screenshot(SHOTS, name + "-1280x800");
    browser.viewport(Browser.PHONE_WIDTH, Browser.PHONE_HEIGHT);
    browser.screenshot(SHOTS, name + "-390x844");
    long width = ((Number) browser.js("return document.documentElement.scrollWidth")).longValue();
    assertTrue(width <= Browser.PHONE_WIDTH, "the page fits a 390 px phone without sideways scrolling (is " + width + " px)");
    List<LogEntry> errors = browser.consoleLog().stream()
        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
        .filter(e -> !e.getMessage().contains("Failed to load resource")).toList();
    assertTrue(errors.isEmpty(), "no errors in the browser console: " + errors);
  }

  private static String token(String sub, long seconds, JsonObject permissions) {
    return Jwts.hs256(SECRET, Jwts.claims(sub, seconds).put("tidegate", permissions));
  }

  private static JsonArray names(String... names) {
    JsonArray a = new JsonArray();
    for (String n : names) {
      a.add(n);
    }
    return a;
  }

  @Test
  void withoutATokenItAsksForOneRefusesBadOnesAndOnceSignedInShowsTheSubjectAndTailsATopic() {
    String topic = uniqueTopic("dash-auth");
    createTopic(topic, 2);
    browser.screenshot(SHOTS, "DashboardSignInIT-signin-1280x800");

    signInExpectingRefusal("not-a-token", "not a JWT");
    signInExpectingRefusal(Jwts.hs256("some-other-secret-of-at-least-32-bytes", Jwts.claims("mallory", 300)),
        "The gateway refused the token (401)");
    signInExpectingRefusal(token("alice", -60, new JsonObject()), "That token expired");
    assertNull(browser.js("return sessionStorage.getItem('tidegate.token');"), "a refused token is not kept");

    String token = token("alice", 600, new JsonObject().put("admin", true)
        .put("subscribe", names("dash-auth*")).put("publish", names("dash-auth*")));
    signIn(token);
    assertTrue(text("#who-text").startsWith("Signed in as alice, until "), text("#who-text"));
    assertEquals(token, browser.js("return sessionStorage.getItem('tidegate.token');"), "the token is kept for this tab");
    assertEquals(0L, ((Number) browser.js("return localStorage.length;")).longValue(), "and nowhere else");
    browser.waitUntil("the socket is open", () -> "open".equals(attr("#conn", "data-state")));

    // an admin sees topic administration and groups
    browser.waitUntil("the topic is listed", () -> !all("#topics-table tr[data-topic='" + topic + "']").isEmpty());
    assertFalse(all("#topics-table tr[data-topic='" + topic + "'] button[aria-label='Delete " + topic + "']").isEmpty());
    assertTrue(one("#create-form").isDisplayed());
    assertTrue(one("#groups-panel").isDisplayed());
    assertTrue(one("#publish").isDisplayed());

    type("#tail-topics", topic);
    click("#tail-start");
    browser.waitUntil("the tail is subscribed", () -> text("#tail-msg").startsWith("Tailing " + topic));
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
        KafkaBrokerExtension.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic, 1, "u7".getBytes(StandardCharsets.UTF_8),
          "{\"signed\":\"in\"}".getBytes(StandardCharsets.UTF_8))).get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    String row = ".tail-row[data-topic='" + topic + "'][data-partition='1'][data-offset='0']";
    browser.waitUntil("the record written by a plain producer is in the tail", Duration.ofSeconds(30), () -> !all(row).isEmpty());
    assertTrue(one(row).getText().contains("{\"signed\":\"in\"}"), one(row).getText());
  }

  @Test
  void aTokenWithoutAdminOrPublishSeesNoTopicAdminNoGroupsNoPublishingAndCannotTailWhatItMayNotRead() {
    String mine = uniqueTopic("dash-mine");
    String theirs = uniqueTopic("dash-theirs");
    String inbox = uniqueTopic("dash-inbox");
    createTopic(mine, 1);
    createTopic(theirs, 1);
    createTopic(inbox, 1);
    signIn(token("bob", 600, new JsonObject().put("subscribe", names(mine))));
    assertTrue(text("#who-text").startsWith("Signed in as bob"));
    String mineRow = "#topics-table tr[data-topic='" + mine + "']";
    browser.waitUntil("bob's topic is listed", () -> !all(mineRow).isEmpty());
    assertTrue(all("#topics-table tr[data-topic='" + theirs + "']").isEmpty(), "a topic bob may not use is not listed");
    assertTrue(all(mineRow + " button.danger").isEmpty(), "no Delete without admin");
    assertFalse(all(mineRow + " button[aria-label='Tail " + mine + "']").isEmpty(), "Tail where bob may subscribe");
    assertFalse(one("#create-form").isDisplayed(), "no topic creation without admin");
    assertFalse(one("#groups-panel").isDisplayed(), "no consumer groups without admin");
    assertFalse(one("#publish").isDisplayed(), "no publish form without a publish permission");
    assertFalse(one("#nav-publish").isDisplayed());

    type("#tail-topics", theirs);
    click("#tail-start");
    browser.waitUntil("tailing a topic bob may not read is refused", () -> text("#tail-msg").equals("You may not subscribe to " + theirs + "."));

    // sign out: the token is gone and the form is back
    click("#signout");
    waitForSignIn();
    assertNull(browser.js("return sessionStorage.getItem('tidegate.token');"));

    // one who may publish to a topic but not read it gets the publish form, and no Tail for that topic
    signIn(token("carol", 600, new JsonObject().put("subscribe", names(mine)).put("publish", names(inbox))));
    String inboxRow = "#topics-table tr[data-topic='" + inbox + "']";
    browser.waitUntil("carol's topics are listed", () -> !all(inboxRow).isEmpty() && !all(mineRow).isEmpty());
    assertTrue(all(inboxRow + " button[aria-label='Tail " + inbox + "']").isEmpty(), "no Tail where carol may not subscribe");
    assertTrue(one("#publish").isDisplayed());
  }

  @Test
  void aTokenRefusedLaterBringsTheSignInBackAndSigningInAgainCarriesOn() {
    String token = token("dave", 600, new JsonObject().put("subscribe", names("dash-*")));
    signIn(token);
    browser.waitUntil("the socket is open", () -> "open".equals(attr("#conn", "data-state")));
    // the kept token stops being accepted (as an expired one does): the next poll gets a 401
    browser.js("sessionStorage.setItem('tidegate.token', arguments[0]);",
        Jwts.hs256("some-other-secret-of-at-least-32-bytes", Jwts.claims("dave", 600)));
    waitForSignIn();
    assertEquals("Your token was refused or has expired. Paste a new one.", text("#signin-msg"));
    signIn(token);
    assertTrue(text("#who-text").startsWith("Signed in as dave"));
    // /stats is polled every second: one more 401 would bring the form straight back
    io.tidegate.testing.Awaits.stays("the dashboard carries on with the new token", Duration.ofSeconds(3), () -> Boolean.TRUE.equals(
        browser.js("return !document.getElementById('signin-dialog').open;")));
    assertEquals(token, browser.js("return sessionStorage.getItem('tidegate.token');"));
  }

  // ---- helpers ----

  private static void waitForSignIn() {
    browser.waitUntil("the sign-in form is shown", Duration.ofSeconds(30), () -> Boolean.TRUE.equals(browser.js(
        "return document.getElementById('signin-dialog').open && document.documentElement.dataset.auth === 'signin';")));
  }

  private static void signIn(String token) {
    type("#signin-token", token);
    click("#signin-submit");
    browser.waitUntil("signed in", Duration.ofSeconds(30), () -> Boolean.TRUE.equals(browser.js(
        "return !document.getElementById('signin-dialog').open && document.documentElement.dataset.ready === 'true';")));
  }

  private static void signInExpectingRefusal(String token, String reason) {
    type("#signin-token", token);
    click("#signin-submit");
    browser.waitUntil("the token is refused: " + reason, () -> text("#signin-msg").contains(reason));
    assertEquals("true", attr("#signin-token", "aria-invalid"));
    assertTrue(Boolean.TRUE.equals(browser.js("return document.getElementById('signin-dialog').open;")));
  }

  private static WebElement one(String css) {
    return browser.driver().findElement(By.cssSelector(css));
  }

  private static List<WebElement> all(String css) {
    return browser.driver().findElements(By.cssSelector(css));
  }

  private static String text(String css) {
    return browser.js("const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : null;", css);
  }

  private static String attr(String css, String name) {
    return one(css).getDomAttribute(name);
  }

  private static void type(String css, String text) {
    WebElement e = one(css);
    e.clear();
    e.sendKeys(text);
  }

  private static void click(String css) {
    one(css).click();
  }
}
