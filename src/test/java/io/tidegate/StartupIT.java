package io.tidegate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.Http;
import io.tidegate.testing.KafkaBrokerExtension;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The packaged jar, run as a user runs it: {@code java -jar target/tidegate.jar}. */
@ExtendWith(KafkaBrokerExtension.class)
class StartupIT {
  private static final Path JAR = Path.of("target", "tidegate.jar");

  @Test
  void withNoBootstrapServersItStartsAnEmbeddedBrokerWhoseDataSurvivesARestart() throws Exception {
    Path data = Path.of("target", "startup-data-" + System.nanoTime());
    int http = freePort();
    int kafka = freePort();
    Map<String, String> env = Map.of("TIDEGATE_HTTP_PORT", String.valueOf(http),
        "TIDEGATE_EMBEDDED_KAFKA_PORT", String.valueOf(kafka), "TIDEGATE_DATA_DIR", data.toString());
    String base = "http://127.0.0.1:" + http;

    Run first = Run.start(env);
    try {
      awaitReady(first, base);
      assertTrue(first.log().contains("embedded single-node KRaft broker on 127.0.0.1:" + kafka), "the log says so");
      assertEquals(201, Http.postJson(base + "/topics", new JsonObject().put("name", "kept").put("partitions", 1)).status());
      assertEquals(200, Http.postJson(base + "/topics/kept/records", new JsonObject().put("value", "survives")).status());
    } finally {
      assertEquals(143, first.terminate(), "SIGTERM ends the JVM through its shutdown hook; log:\n" + first.log());
    }
    assertTrue(first.log().contains("Tidegate stopped"), "a clean stop is logged:\n" + first.log());
    assertTrue(first.log().indexOf("Embedded Kafka broker on") > first.log().indexOf("Shutting down"), "the broker stops last");

    Run second = Run.start(env);
    try {
      awaitReady(second, base);
      JsonObject page = Http.get(base + "/topics/kept/records?from=earliest").json();
      assertEquals("survives", page.getJsonArray("records").getJsonObject(0).getString("value"),
          "records written before the restart are still there");
    } finally {
      second.terminate();
    }
  }

  @Test
  void withBootstrapServersItUsesThatClusterAndStartsNoBroker() throws Exception {
    int http = freePort();
    Run run = Run.start(Map.of("TIDEGATE_HTTP_PORT", String.valueOf(http),
        "KAFKA_BOOTSTRAP_SERVERS", KafkaBrokerExtension.bootstrapServers()));
    try {
      awaitReady(run, "http://127.0.0.1:" + http);
      assertTrue(run.log().contains("Using Kafka at " + KafkaBrokerExtension.bootstrapServers()), run.log());
      assertFalse(run.log().contains("Embedded Kafka broker started"), "no broker of its own");
    } finally {
      run.terminate();
    }
  }

  @Test
  void anInvalidSettingStopsStartUpNamingTheKey() throws Exception {
    Run port = Run.start(Map.of("TIDEGATE_HTTP_PORT", "eighty"));
    assertEquals(2, port.waitFor());
    assertTrue(port.log().contains("http.port"), port.log());

    Run kafkaSetting = Run.start(Map.of("TIDEGATE_KAFKA_PRODUCER_LINGER_MS", "soon"));
    assertEquals(2, kafkaSetting.waitFor());
    assertTrue(kafkaSetting.log().contains("kafka.producer.linger.ms"), kafkaSetting.log());

    Path bad = Files.writeString(Files.createTempFile(Path.of("target"), "config", ".json"), "{\"http\":{\"prot\":1}}");
    Run typo = Run.start(Map.of("TIDEGATE_CONFIG", bad.toString()));
    assertEquals(2, typo.waitFor());
    assertTrue(typo.log().contains("http.prot"), typo.log());
  }

  private static void awaitReady(Run run, String base) {
    Awaits.until("the gateway is ready", Duration.ofSeconds(60), () -> {
      if (!run.process.isAlive()) {
        throw new AssertionError("the gateway exited: " + run.log());
      }
      try {
        return Http.get(base + "/health/ready").status() == 200;
      } catch (RuntimeException e) {
        return false;
      }
    });
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A gateway process with its output captured in a file. */
  private record Run(Process process, File out) {
    static Run start(Map<String, String> env) throws IOException {
      File out = File.createTempFile("tidegate", ".log", new File("target"));
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-jar", JAR.toString())
          .redirectErrorStream(true).redirectOutput(out);
      pb.environment().remove("KAFKA_BOOTSTRAP_SERVERS");
      pb.environment().putAll(env);
      return new Run(pb.start(), out);
    }

    String log() {
      try {
        return Files.readString(out.toPath(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }

    int waitFor() throws InterruptedException {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("did not exit: " + log());
      }
      return process.exitValue();
    }

    /** SIGTERM, then wait. */
    int terminate() throws InterruptedException {
      process.destroy();
      return waitFor();
    }
  }
}
