package io.tidegate.bench;

import io.tidegate.config.ConfigLoader;
import io.vertx.core.Vertx;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** Prints the producer settings the gateway would use with this checkout's config, for the baseline to copy. */
public final class ProducerSettings {
  private ProducerSettings() {}

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      var config = ConfigLoader.load(vertx, System.getenv()).await(30, TimeUnit.SECONDS);
      StringBuilder sb = new StringBuilder();
      new TreeMap<>(config.kafka().producer()).forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append('=').append(v));
      System.out.println(sb);
    } finally {
      vertx.close();
      System.exit(0);
    }
  }
}
