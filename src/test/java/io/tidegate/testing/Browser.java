package io.tidegate.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The system's headless Chromium driven through the system's chromedriver (Debian: chromium, chromium-driver).
 * Nothing is downloaded: both paths are given to Selenium, so Selenium Manager has nothing to find.
 * Override them with -Dtidegate.chromium=... and -Dtidegate.chromedriver=...
 */
public final class Browser implements AutoCloseable {
  public static final int DESKTOP_WIDTH = 1280;
  public static final int DESKTOP_HEIGHT = 800;
  public static final int PHONE_WIDTH = 390;
  public static final int PHONE_HEIGHT = 844;

  private final ChromeDriver driver;

  private Browser(ChromeDriver driver) {
    this.driver = driver;
  }

  /** Held so the setting sticks: Selenium looks for a CDP binding it does not need (we only send raw CDP commands). */
  private static final java.util.logging.Logger CDP_LOG = java.util.logging.Logger.getLogger("org.openqa.selenium.devtools");

  public static Browser start() {
    CDP_LOG.setLevel(Level.SEVERE);
    String chromium = System.getProperty("tidegate.chromium", "/usr/bin/chromium");
    String chromedriver = System.getProperty("tidegate.chromedriver", "/usr/bin/chromedriver");
    if (!new File(chromium).canExecute() || !new File(chromedriver).canExecute()) {
      throw new IllegalStateException("The browser tests need Chromium and its driver at " + chromium + " and "
          + chromedriver + " (Debian: apt-get install chromium chromium-driver; .ci/run installs them)");
    }
    System.setProperty("webdriver.chrome.driver", chromedriver);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=" + DESKTOP_WIDTH + "," + DESKTOP_HEIGHT, "--hide-scrollbars", "--mute-audio",
        "--no-first-run", "--disable-extensions", "--disable-background-networking", "--lang=en-US");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(chromedriver)).usingAnyFreePort().build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    Browser b = new Browser(driver);
    b.viewport(DESKTOP_WIDTH, DESKTOP_HEIGHT);
    return b;
  }

  public ChromeDriver driver() {
    return driver;
  }

  /** Runs a script in the page (arguments are {@code arguments[0..]}) and returns what it returns. */
  @SuppressWarnings("unchecked")
  public <T> T js(String script, Object... args) {
    return (T) ((JavascriptExecutor) driver).executeScript(script, args);
  }

  /** Emulates a viewport of exactly this size (a phone width is emulated as a mobile device). */
  public void viewport(int width, int height) {
    driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of(
        "width", width, "height", height, "deviceScaleFactor", 1, "mobile", width < 600));
  }

  /** Emulates the system's colour scheme setting. */
  public void colorScheme(String scheme) {
    driver.executeCdpCommand("Emulation.setEmulatedMedia", Map.of(
        "features", List.of(Map.of("name", "prefers-color-scheme", "value", scheme))));
  }

  public void waitUntil(String what, Duration max, Supplier<Boolean> condition) {
    try {
      new WebDriverWait(driver, max, Duration.ofMillis(50)).withMessage(what).until(d -> condition.get());
    } catch (org.openqa.selenium.TimeoutException e) {
      throw new AssertionError("timed out after " + max.toSeconds() + " s waiting until " + what, e);
    }
  }

  public void waitUntil(String what, Supplier<Boolean> condition) {
    waitUntil(what, Duration.ofSeconds(20), condition);
  }

  /** Saves a PNG of the viewport as {@code dir/name.png}. */
  public Path screenshot(Path dir, String name) {
    try {
      Files.createDirectories(dir);
      File shot = driver.getScreenshotAs(OutputType.FILE);
      Path to = dir.resolve(name + ".png");
      Files.move(shot.toPath(), to, StandardCopyOption.REPLACE_EXISTING);
      return to;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Saves a PNG of the whole page at the current viewport width as {@code dir/name.png}. */
  public Path fullPageScreenshot(Path dir, String name) {
    Map<String, Object> metrics = driver.executeCdpCommand("Page.getLayoutMetrics", Map.of());
    @SuppressWarnings("unchecked")
    Map<String, Object> size = (Map<String, Object>) metrics.get("cssContentSize");
    double width = ((Number) size.get("width")).doubleValue();
    double height = Math.min(((Number) size.get("height")).doubleValue(), 6000);
    Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png",
        "captureBeyondViewport", true, "clip", Map.of("x", 0, "y", 0, "width", width, "height", height, "scale", 1)));
    try {
      Files.createDirectories(dir);
      Path to = dir.resolve(name + ".png");
      Files.write(to, java.util.Base64.getDecoder().decode((String) shot.get("data")));
      return to;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The console messages logged since the last call. */
  public List<LogEntry> consoleLog() {
    return driver.manage().logs().get(LogType.BROWSER).getAll();
  }

  @Override
  public void close() {
    driver.quit();
  }
}
