package io.tidegate.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;

/**
 * A real 3-node KRaft cluster, each node a JVM of its own ({@code java -cp <test classpath> kafka.Kafka}), in
 * combined mode (broker and controller) with a static quorum, on free ports, data under {@code target/}. A node
 * can be SIGKILLed ({@link #kill}) and started again on the same ports and data ({@link #restart}). Everything
 * is stopped and deleted by {@link #close}, and on JVM exit.
 */
public final class KafkaCluster implements AutoCloseable {
  private static final int NODES = 3;

  private final Path dir;
  private final int[] brokerPorts = new int[NODES + 1];
  private final int[] controllerPorts = new int[NODES + 1];
  private final Process[] processes = new Process[NODES + 1];
  private final Thread hook = new Thread(this::stopAll, "kafka-cluster-stop");
  private Admin admin;

  private KafkaCluster(Path dir) {
    this.dir = dir;
  }

  /** Formats and starts three nodes and waits until all three serve as brokers. */
  public static KafkaCluster start() {
    KafkaCluster c = new KafkaCluster(Path.of("target", "kafka-cluster-" + ProcessHandle.current().pid()
        + "-" + System.nanoTime()).toAbsolutePath());
    Runtime.getRuntime().addShutdownHook(c.hook);
    try {
      c.boot();
      return c;
    } catch (RuntimeException | Error e) {
      c.close();
      throw e;
    }
  }

  private void boot() {
    for (int n = 1; n <= NODES; n++) {
      brokerPorts[n] = freePort();
      controllerPorts[n] = freePort();
    }
    String clusterId = Uuid.randomUuid().toString();
    List<Process> formats = new ArrayList<>();
    for (int n = 1; n <= NODES; n++) {
      writeProperties(n);
      formats.add(java(n, "format", "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", props(n).toString()));
    }
    for (Process p : formats) {
      if (exitCode(p, Duration.ofSeconds(120)) != 0) {
        throw new IllegalStateException("formatting a node's log dir failed; see " + dir);
      }
    }
    for (int n = 1; n <= NODES; n++) {
      processes[n] = java(n, "node", "kafka.Kafka", props(n).toString());
    }
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000));
    Awaits.until("three brokers serve", Duration.ofSeconds(180), () -> brokersServing() == NODES);
  }

  public String bootstrapServers() {
    return Stream.of(1, 2, 3).map(n -> "127.0.0.1:" + brokerPorts[n]).collect(Collectors.joining(","));
  }

  /** An admin client on the cluster (owned by the cluster: do not close it). */
  public Admin admin() {
    return admin;
  }

  /** SIGKILL: the node's own JVM (started directly, no wrapper) dies at once, with no clean shutdown. */
  public void kill(int node) {
    Process p = processes[node];
    p.destroyForcibly();
    if (exitCode(p, Duration.ofSeconds(30)) == Integer.MIN_VALUE) {
      throw new IllegalStateException("node " + node + " did not die");
    }
    processes[node] = null;
  }

  /** Starts a killed node again on the same ports and data. */
  public void restart(int node) {
    if (processes[node] != null) {
      throw new IllegalStateException("node " + node + " is running");
    }
    processes[node] = java(node, "node", "kafka.Kafka", props(node).toString());
  }

  /** The broker that leads most of {@code topic}'s partitions. */
  public int leaderOfMost(String topic) {
    Map<Integer, Long> counts = partitions(topic).stream().filter(p -> p.leader() != null)
        .collect(Collectors.groupingBy(p -> p.leader().id(), TreeMap::new, Collectors.counting()));
    return counts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
  }

  /** Waits until every partition of each topic has all three replicas in sync (and a leader). */
  public void awaitFullIsr(Duration max, String... topics) {
    Awaits.until("every ISR of " + List.of(topics) + " is full", max, () -> {
      try {
        for (String t : topics) {
          for (TopicPartitionInfo p : partitions(t)) {
            if (p.leader() == null || p.isr().size() < NODES) {
              return false;
            }
          }
        }
        return true;
      } catch (RuntimeException e) {
        return false; // the cluster is between leaders: ask again
      }
    });
  }

  public List<TopicPartitionInfo> partitions(String topic) {
    try {
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(15, TimeUnit.SECONDS).get(topic);
      return d.partitions();
    } catch (Exception e) {
      throw new IllegalStateException("describing " + topic + " failed", e);
    }
  }

  private int brokersServing() {
    try {
      return admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size();
    } catch (Exception e) {
      return 0;
    }
  }

  /**
   * One node's settings. The timeouts are lowered from Kafka's defaults so that a killed node is noticed and
   * its partitions get new leaders within seconds, and a restarted one rejoins quickly, on a busy machine.
   */
  private void writeProperties(int n) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", String.valueOf(n));
    p.put("controller.quorum.voters", Stream.of(1, 2, 3).map(i -> i + "@127.0.0.1:" + controllerPorts[i])
        .collect(Collectors.joining(",")));
    p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPorts[n] + ",CONTROLLER://127.0.0.1:" + controllerPorts[n]);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPorts[n]);
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", dir.resolve("node-" + n).toString());
    // what production runs: every record on three brokers, acknowledged (acks=all) once two have it
    p.put("default.replication.factor", "3");
    p.put("min.insync.replicas", "2");
    p.put("offsets.topic.replication.factor", "3");
    p.put("transaction.state.log.replication.factor", "3");
    p.put("transaction.state.log.min.isr", "2");
    // fewer internal partitions than the default 50: less to elect and replicate on a small machine
    p.put("offsets.topic.num.partitions", "6");
    p.put("transaction.state.log.num.partitions", "3");
    // a new leader only from the in-sync replicas (the default, stated): an acknowledged record is never lost
    p.put("unclean.leader.election.enable", "false");
    // the controller fences a broker that sent no heartbeat for 4 s (default 9 s), so a killed broker's
    // partitions get new leaders and leave its ISRs sooner; heartbeats every 500 ms (default 2 s) to match
    p.put("broker.session.timeout.ms", "4000");
    p.put("broker.heartbeat.interval.ms", "500");
    // a killed active controller: the others start an election after 2 s without hearing from it (the default),
    // each waiting at most 1 s (the default) at random so they do not split votes; stated because they matter
    p.put("controller.quorum.fetch.timeout.ms", "2000");
    p.put("controller.quorum.election.timeout.ms", "1000");
    // a follower that stopped fetching leaves the ISR after 6 s (default 30 s): acks=all stops waiting for it
    p.put("replica.lag.time.max.ms", "6000");
    // groups form at once (default waits 3 s for more members)
    p.put("group.initial.rebalance.delay.ms", "0");
    try (Writer w = Files.newBufferedWriter(props(n))) {
      Files.createDirectories(dir.resolve("node-" + n));
      p.store(w, "node " + n);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path props(int n) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir.resolve("node-" + n + ".properties");
  }

  /**
   * {@code java -Xmx384m -cp <this JVM's classpath> main args}, output appended to a log file under the dir. The
   * JVM is the process itself (no shell around it), so destroyForcibly is a SIGKILL of the node. A small heap,
   * the serial collector and C1 only: a node starts (and restarts) sooner on a busy machine.
   */
  private Process java(int n, String what, String main, String... args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), main));
    cmd.addAll(List.of(args));
    try {
      Path log = dir.resolve(what + "-" + n + ".log");
      return new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int exitCode(Process p, Duration max) {
    try {
      return p.waitFor(max.toMillis(), TimeUnit.MILLISECONDS) ? p.exitValue() : Integer.MIN_VALUE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Integer.MIN_VALUE;
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void stopAll() {
    for (int n = 1; n <= NODES; n++) {
      Process p = processes[n];
      if (p != null) {
        p.destroyForcibly();
        exitCode(p, Duration.ofSeconds(30));
        processes[n] = null;
      }
    }
  }

  @Override
  public void close() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(2));
    }
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is exiting: the hook runs anyway
    }
    // the nodes' data goes; their logs (errors only) stay under target/ to read after a failure
    for (int n = 1; n <= NODES; n++) {
      try (Stream<Path> files = Files.walk(dir.resolve("node-" + n))) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        // left under target/ for mvn clean
      }
    }
  }
}
