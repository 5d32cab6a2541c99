package io.tidegate.testing;

import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.internal.threadchecker.BlockedThreadChecker;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test when a Vert.x thread was reported blocked while it ran: a test gateway's event loop running one
 * task for more than 100 ms of its own ({@link StallWatch}, which TestGateway's Vert.x instances use), or any
 * other Vert.x instance in the JVM (the tests' clients) reported by Vert.x's own checker at its default limits.
 */
public final class BlockedThreadGuard implements BeforeEachCallback, AfterEachCallback {
  private static final ListAppender<ILoggingEvent> APPENDER = new ListAppender<>();

  static {
    Logger logger = (Logger) LoggerFactory.getLogger(BlockedThreadChecker.LOGGER_NAME);
    APPENDER.start();
    logger.addAppender(APPENDER);
  }

  /** What was reported since the last clear. */
  public static synchronized List<String> reports() {
    List<String> out = new ArrayList<>(StallWatch.reports());
    synchronized (APPENDER) { // the lock logback's AppenderBase.doAppend holds while it adds
      APPENDER.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
          .map(ILoggingEvent::getFormattedMessage).forEach(out::add);
    }
    return out;
  }

  public static synchronized void clear() {
    StallWatch.clear();
    synchronized (APPENDER) { // the lock logback's AppenderBase.doAppend holds while it adds
      APPENDER.list.clear();
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    clear();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    List<String> reports = reports();
    clear();
    if (!reports.isEmpty()) {
      fail("a Vert.x thread was reported blocked:\n" + String.join("\n", reports));
    }
  }
}
