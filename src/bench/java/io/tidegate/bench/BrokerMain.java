package io.tidegate.bench;

import io.tidegate.embedded.EmbeddedKafka;
import java.nio.file.Path;

/** The embedded broker alone, in its own JVM, so benchmarks measure gateway and broker separately. */
public final class BrokerMain {
  private BrokerMain() {}

  public static void main(String[] args) throws InterruptedException {
    int port = Integer.parseInt(args[0]);
    EmbeddedKafka kafka = new EmbeddedKafka(port, Path.of(args[1])).start();
    Runtime.getRuntime().addShutdownHook(new Thread(kafka::stop));
    System.out.println("BROKER READY " + kafka.bootstrapServers());
    Thread.currentThread().join();
  }
}
