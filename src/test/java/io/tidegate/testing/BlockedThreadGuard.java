package io.tidegate.testing;

import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.internal.threadchecker.BlockedThreadChecker;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/** Fails a test when Vert.x's blocked-thread checker reported anything while it ran. */
public final class BlockedThreadGuard implements BeforeEachCallback, AfterEachCallback {
  private static final ListAppender<ILoggingEvent> APPENDER = new ListAppender<>();

  static {
    Logger logger = (Logger) LoggerFactory.getLogger(BlockedThreadChecker.LOGGER_NAME);
    APPENDER.start();
    logger.addAppender(APPENDER);
  }

  /** What the checker said since the last clear. */
  public static synchronized List<String> reports() {
    synchronized (APPENDER) { // the lock logback's AppenderBase.doAppend holds while it adds
      return APPENDER.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
          .map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  public static synchronized void clear() {
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
      fail("the blocked-thread checker reported a blocked Vert.x thread: " + reports);
    }
  }
}
