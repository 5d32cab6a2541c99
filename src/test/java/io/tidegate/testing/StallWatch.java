package io.tidegate.testing;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.impl.VertxThread;
import io.vertx.core.internal.VertxBootstrap;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.threadchecker.BlockedThreadEvent;
import io.vertx.core.spi.VertxThreadFactory;
import io.vertx.core.transport.Transport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vert.x instances whose event loops may not run one task for longer than {@link #EVENT_LOOP_LIMIT_MS} of their
 * own, with a blocked-thread handler that tells a real block from a thread that merely could not run.
 *
 * <p>Vert.x's checker measures wall-clock time since a task started. On a busy machine that time also holds time
 * the thread was ready but had no CPU (other processes, other threads of the test JVM) and time the whole JVM was
 * stopped (garbage-collection pauses, which reach hundreds of milliseconds on a loaded two-core machine). Neither
 * is the gateway's doing, so neither is counted:
 * <ul>
 *   <li>the time an event loop waited for a CPU is read from Linux's per-thread scheduler statistics
 *   ({@code /proc/self/task/<tid>/schedstat}, second field: time spent runnable on a run queue);</li>
 *   <li>the time the JVM was stopped is measured by a probe thread that wakes every {@value #PROBE_PERIOD_MS} ms:
 *   what it wakes late beyond its own wait for a CPU is time it was ready but could not run, a JVM-wide stop;</li>
 *   <li>time asleep while the other watched threads (the event loops and workers of every such Vert.x instance)
 *   waited for a CPU may be a wait for one of them (a lock, a class another event loop is initialising), so up to
 *   their longest wait is not counted either.</li>
 * </ul>
 * What is left is time the event loop spent on a CPU or asleep in the kernel (a lock, a sleep, blocking I/O) on
 * its own account. A task is reported when that reaches the limit; a thread found runnable (state R) is judged by
 * its CPU time alone, because the wait for a CPU it may be in right now is only counted once it runs again. On a
 * quiet machine nothing is discounted and a block is reported as Vert.x would; where {@code /proc} has no such
 * statistics (not Linux), only JVM stops are discounted. Each report carries the breakdown and the blocked
 * thread's stack at the moment of the report; worker threads are reported as Vert.x would, past their limit.
 */
public final class StallWatch {
  /** What the gateway promises: no event-loop task runs longer than this. */
  public static final long EVENT_LOOP_LIMIT_MS = 100;
  /** How often Vert.x's checker looks; a block is seen at most this late. */
  public static final long CHECK_INTERVAL_MS = 20;
  /**
   * Worker threads may block by design (Kafka's blocking clients, the shutdown's waits of a few seconds): Vert.x's
   * default limit, a minute, is kept for them.
   */
  public static final long WORKER_LIMIT_MS = 60_000;

  /**
   * While a gateway starts (its verticles deploy and its servers bind, the first of them loading and initialising
   * Vert.x's and Netty's classes, both event loops in turn behind Vert.x's lock on shared servers), before it serves
   * anyone: Vert.x's default limit for event loops.
   */
  public static final long STARTUP_LIMIT_MS = 2_000;

  static final long PROBE_PERIOD_MS = 5;
  private static final long MS = 1_000_000L;
  private static final Logger LOG = LoggerFactory.getLogger(StallWatch.class);

  private static final Map<Thread, Watched> WATCHED = new ConcurrentHashMap<>();
  private static final Map<Vertx, Limit> LIMITS = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());
  private static final List<String> REPORTS = new ArrayList<>();
  /** JVM-wide stops the probe saw: {start, end} in nanoTime, oldest first. */
  private static final Deque<long[]> STOPS = new ArrayDeque<>();
  private static final AtomicLong EXCUSED = new AtomicLong();
  private static volatile long probeHeartbeat = System.nanoTime();
  /** -Dtidegate.stallwatch.verbose=true logs the tasks excused too, with their breakdown and stack. */
  private static final boolean VERBOSE = Boolean.getBoolean("tidegate.stallwatch.verbose");

  static {
    Thread probe = new Thread(StallWatch::probe, "stall-watch-probe");
    probe.setDaemon(true);
    probe.start();
  }

  private StallWatch() {}

  /** Options with this class's limits; the caller may set anything else on them. */
  public static VertxOptions options() {
    return new VertxOptions()
        .setMaxEventLoopExecuteTime(EVENT_LOOP_LIMIT_MS).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setMaxWorkerExecuteTime(WORKER_LIMIT_MS).setMaxWorkerExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(CHECK_INTERVAL_MS).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS);
  }

  /** A Vert.x instance with these options whose threads are watched. */
  public static Vertx vertx(VertxOptions options) {
    return vertx(options, null);
  }

  /** As {@link #vertx(VertxOptions)}, with Vert.x's meters made by {@code metrics} (null: none). */
  public static Vertx vertx(VertxOptions options, io.vertx.core.spi.VertxMetricsFactory metrics) {
    Limit limit = new Limit();
    VertxBootstrap bootstrap = VertxBootstrap.create().options(options).metricsFactory(metrics).threadFactory(new VertxThreadFactory() {
      @Override
      public VertxThread newVertxThread(Runnable target, String name, boolean worker, long maxExecTime,
          TimeUnit maxExecTimeUnit) {
        return new VertxThread(() -> {
          WATCHED.put(Thread.currentThread(), new Watched((VertxThread) Thread.currentThread(), Linux.ownTid(), limit));
          try {
            target.run();
          } finally {
            WATCHED.remove(Thread.currentThread());
          }
        }, name, worker, maxExecTime, maxExecTimeUnit);
      }
    });
    // as Vertx.builder() does (the bootstrap falls back to NIO itself when the native transport cannot load)
    Transport transport = options.getPreferNativeTransport() ? Transport.nativeTransport() : null;
    bootstrap.transport((transport != null ? transport : Transport.NIO).implementation());
    Vertx vertx = bootstrap.init().vertx();
    ((VertxInternal) vertx).blockedThreadChecker().setThreadBlockedHandler(StallWatch::onBlocked);
    LIMITS.put(vertx, limit);
    return vertx;
  }

  /** The event loops of {@code vertx} (made here) may take up to {@link #STARTUP_LIMIT_MS} until {@link #started}. */
  public static Vertx starting(Vertx vertx) {
    LIMITS.get(vertx).ms = STARTUP_LIMIT_MS;
    return vertx;
  }

  /** From now on the event loops of {@code vertx} (made here) may take up to {@link #EVENT_LOOP_LIMIT_MS}. */
  public static void started(Vertx vertx) {
    LIMITS.get(vertx).ms = EVENT_LOOP_LIMIT_MS;
  }

  /** The event-loop limit of one Vert.x instance, in ms. */
  private static final class Limit {
    volatile long ms = EVENT_LOOP_LIMIT_MS;
  }

  /** The blocks reported since the last {@link #clear()}. */
  public static List<String> reports() {
    synchronized (REPORTS) {
      return List.copyOf(REPORTS);
    }
  }

  /**
   * How many tasks so far ran past Vert.x's limit in wall-clock time without being blocked by their own doing
   * (at the check that saw them; a task that goes on may still be reported later).
   */
  public static long excused() {
    return EXCUSED.get();
  }

  public static void clear() {
    synchronized (REPORTS) {
      REPORTS.clear();
    }
  }

  /** One watched thread, with what the probe saw when it first found the thread's current task running. */
  private static final class Watched {
    final VertxThread thread;
    final long tid;
    final Limit limit;
    /** The task seen (its start, in nanoTime) and, when first seen, the time and the thread's scheduler counters. */
    volatile Seen seen;
    /** The start of the last task reported, so that each long task is reported once. */
    volatile long spokeFor;
    /** The start of the last task a check found asleep over the limit. */
    volatile long asleepOverFor;
    /** The start of the last task found over Vert.x's limit but not blocked by its own doing. */
    volatile long excusedFor;

    Watched(VertxThread thread, long tid, Limit limit) {
      this.thread = thread;
      this.tid = tid;
      this.limit = limit;
    }
  }

  /**
   * A task as first seen: when, the thread's counters then, and the run-queue waits of the other watched threads
   * then (by thread id).
   */
  private record Seen(long taskStart, long at, Linux.SchedStat stat, Map<Long, Long> othersWait) {
    static Seen now(Watched w, long taskStart) {
      Map<Long, Long> others = new java.util.HashMap<>();
      for (Watched o : WATCHED.values()) {
        long waited = o == w ? -1 : Linux.waitNs(o.tid);
        if (waited >= 0) {
          others.put(o.tid, waited);
        }
      }
      return new Seen(taskStart, System.nanoTime(), Linux.schedStat(w.tid), others);
    }

    /** The longest any other watched thread has waited for a CPU since. */
    long othersWaitedUntilNow() {
      long max = 0;
      for (Map.Entry<Long, Long> e : othersWait.entrySet()) {
        long waited = Linux.waitNs(e.getKey());
        if (waited >= 0) {
          max = Math.max(max, waited - e.getValue());
        }
      }
      return max;
    }
  }

  /** Runs on Vert.x's checker thread (never on an event loop), once per check while a task runs over its limit. */
  private static void onBlocked(BlockedThreadEvent event) {
    Thread t = event.thread();
    Watched w = WATCHED.get(t);
    long now = System.nanoTime();
    if (!(t instanceof VertxThread vt) || w == null) {
      report(t, "blocked for " + event.duration() / MS + " ms (limit " + event.maxExecTime() / MS + " ms)", null);
      return;
    }
    long taskStart = vt.startTime();
    if (taskStart == 0 || w.spokeFor == taskStart) {
      return; // the task ended meanwhile, or it has already been reported
    }
    if (vt.isWorker()) {
      w.spokeFor = taskStart;
      report(t, "a worker blocked for " + event.duration() / MS + " ms (limit " + event.maxExecTime() / MS + " ms)",
          t.getStackTrace());
      return;
    }
    if (now - probeHeartbeat > 4 * PROBE_PERIOD_MS * MS) {
      return; // the probe is late: a JVM stop may be going on that it has not measured yet; judge at the next check
    }
    Seen seen = w.seen;
    if (seen == null || seen.taskStart != taskStart) {
      // The probe has not seen this task: take the counters now and judge from here at the next checks.
      w.seen = Seen.now(w, taskStart);
      return;
    }
    // read before anything stops the thread (taking its stack does, for a moment that counts as asleep)
    Linux.SchedStat stat = Linux.schedStat(w.tid);
    long wall = now - taskStart;
    // What passed between the task's start and the probe's first look at it is counted as the thread's own, up to
    // two probe periods (the usual delay: the probe looks at tasks older than one period); beyond that the probe
    // itself was held up, and nothing is known of that time.
    long unseen = Math.max(0, seen.at - taskStart - 2 * PROBE_PERIOD_MS * MS);
    long stopped = stoppedBetween(seen.at, now);
    long waited = stat != null && seen.stat != null ? stat.waitNs() - seen.stat.waitNs() : 0;
    long onCpu = stat != null && seen.stat != null ? stat.cpuNs() - seen.stat.cpuNs() : 0;
    long own = Math.max(onCpu, wall - unseen - stopped - waited);
    // Time asleep may be a wait for another thread (a lock, a class another event loop is initialising); when the
    // other watched threads were themselves waiting for a CPU, that much of the sleep is not this thread's doing.
    long othersWaited = seen.othersWaitedUntilNow();
    long excusedSleep = Math.min(own - onCpu, othersWaited);
    char state = stat == null ? '?' : stat.state();
    long limitMs = w.limit.ms;
    boolean blocked;
    if (state == 'R') {
      blocked = onCpu >= limitMs * MS; // its current wait for a CPU, if any, is not in the counters yet
      w.asleepOverFor = 0;
    } else if (own - excusedSleep >= limitMs * MS) {
      // Asleep, and over the limit: reported when the next check finds it so again, since a thread may be stopped
      // for a moment without sleeping of its own (a safepoint, a handshake), and what the probe measured of JVM
      // stops is only close
      blocked = w.asleepOverFor == taskStart;
      w.asleepOverFor = taskStart;
    } else {
      blocked = false;
    }
    String breakdown = t.getName() + " ran one task for " + wall / MS + " ms: " + onCpu / MS + " ms on a CPU, "
        + (own - onCpu) / MS + " ms asleep (" + excusedSleep / MS + " ms of it while other event loops waited for a"
        + " CPU), " + waited / MS + " ms waiting for a CPU, " + stopped / MS + " ms with the JVM stopped, "
        + unseen / MS + " ms not observed; state " + state + " (limit: " + limitMs + " ms of its own)";
    StackTraceElement[] stack = blocked ? t.getStackTrace() : null;
    if (blocked && state != 'R' && startingAThread(stack)) {
      // Thread.start waits until the new thread runs: on a starved machine, a wait for a CPU that the kernel
      // counts against the new thread, not this one (the same excuse as other event loops' waits above)
      blocked = false;
    }
    if (blocked) {
      w.spokeFor = taskStart;
      report(t, breakdown, stack);
    } else if (w.excusedFor != taskStart) {
      w.excusedFor = taskStart;
      EXCUSED.incrementAndGet();
      if (VERBOSE) {
        LOG.info("not counted (so far): {}\n{}", breakdown, format(t.getStackTrace()));
      }
    }
  }

  private static boolean startingAThread(StackTraceElement[] stack) {
    return stack.length > 0 && stack[0].getClassName().equals("java.lang.Thread")
        && stack[0].getMethodName().equals("start0");
  }

  private static void report(Thread t, String what, StackTraceElement[] stack) {
    String text = what + (stack == null ? "" : "\n" + format(stack));
    LOG.warn("Blocked Vert.x thread {}: {}", t.getName(), text);
    synchronized (REPORTS) {
      REPORTS.add(text);
    }
  }

  private static String format(StackTraceElement[] stack) {
    StringBuilder b = new StringBuilder();
    for (StackTraceElement e : stack) {
      b.append("\tat ").append(e).append('\n');
    }
    return b.toString();
  }

  private static long stoppedBetween(long from, long to) {
    long sum = 0;
    synchronized (STOPS) {
      for (long[] s : STOPS) {
        sum += Math.max(0, Math.min(to, s[1]) - Math.max(from, s[0]));
      }
    }
    return sum;
  }

  /**
   * The probe: wakes every few milliseconds, notes how late it woke beyond its own wait for a CPU (a JVM-wide
   * stop), and notes when it first sees a watched thread running a task.
   */
  private static void probe() {
    long tid = Linux.ownTid();
    long last = System.nanoTime();
    Linux.SchedStat lastStat = Linux.schedStat(tid);
    while (true) {
      try {
        Thread.sleep(PROBE_PERIOD_MS);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      Linux.SchedStat stat = Linux.schedStat(tid);
      long late = now - last - PROBE_PERIOD_MS * MS;
      long waited = stat != null && lastStat != null ? stat.waitNs() - lastStat.waitNs() : 0;
      long stopped = late - waited;
      if (stopped > MS / 2) {
        synchronized (STOPS) {
          STOPS.addLast(new long[] {now - stopped, now});
          while (!STOPS.isEmpty() && STOPS.peekFirst()[1] < now - TimeUnit.MINUTES.toNanos(2)) {
            STOPS.removeFirst();
          }
        }
      }
      last = now;
      lastStat = stat;
      probeHeartbeat = now;
      for (Watched w : WATCHED.values()) {
        long taskStart = w.thread.startTime();
        Seen seen = w.seen;
        if (taskStart != 0 && (seen == null || seen.taskStart != taskStart) && now - taskStart > PROBE_PERIOD_MS * MS) {
          // only tasks running for a while: most end within microseconds and need no baseline
          w.seen = Seen.now(w, taskStart);
        }
      }
    }
  }

  /** Linux's per-thread scheduler counters, read from /proc. */
  static final class Linux {
    private Linux() {}

    /** Time on a CPU and time runnable but waiting for one, both in ns, and the thread's state letter. */
    record SchedStat(long cpuNs, long waitNs, char state) {}

    /** The calling thread's kernel thread id, or -1 where there is no /proc/thread-self. */
    static long ownTid() {
      try {
        String link = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString(); // "<pid>/task/<tid>"
        return Long.parseLong(link.substring(link.lastIndexOf('/') + 1));
      } catch (IOException | RuntimeException e) {
        return -1;
      }
    }

    /** The thread's time runnable but waiting for a CPU, in ns; -1 when unknown. */
    static long waitNs(long tid) {
      if (tid < 0) {
        return -1;
      }
      try {
        return Long.parseLong(Files.readString(Path.of("/proc/self/task/" + tid + "/schedstat")).trim().split(" ")[1]);
      } catch (IOException | RuntimeException e) {
        return -1;
      }
    }

    static SchedStat schedStat(long tid) {
      if (tid < 0) {
        return null;
      }
      try {
        String[] f = Files.readString(Path.of("/proc/self/task/" + tid + "/schedstat")).trim().split(" ");
        String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
        char state = stat.charAt(stat.lastIndexOf(')') + 2); // the name, in parentheses, may hold spaces
        return new SchedStat(Long.parseLong(f[0]), Long.parseLong(f[1]), state);
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
  }
}
