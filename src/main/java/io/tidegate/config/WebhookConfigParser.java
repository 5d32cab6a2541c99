package io.tidegate.config;

import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The {@code webhooks} section: where definitions are kept, which hosts webhooks may call, and their bounds. */
final class WebhookConfigParser {
  /** By default webhooks may call this machine only: any other host must be allowed by name. */
  static final List<String> DEFAULT_ALLOWED_HOSTS = List.of("localhost", "127.0.0.1", "::1");

  private WebhookConfigParser() {}

  static TidegateConfig.Webhooks parse(ConfigParser.Reader r) {
    r.onlyKeys("webhooks", Set.of("topic", "allowedHosts", "maxInFlight", "maxWebhooks"));
    String topic = r.string("webhooks.topic", "__tidegate-webhooks");
    if (!topic.matches("__[A-Za-z0-9._-]{1,200}")) {
      // '__' keeps it apart from every topic a client can name through the gateway (such names are never served)
      throw new ConfigException("webhooks.topic", "must start with '__' followed by letters, digits, '.', '_' or '-'");
    }
    return new TidegateConfig.Webhooks(topic, hosts(r),
        (int) r.integer("webhooks.maxInFlight", 16, 1, 10_000),
        (int) r.integer("webhooks.maxWebhooks", 100, 1, 10_000));
  }

  private static List<String> hosts(ConfigParser.Reader r) {
    Object raw = r.object("webhooks").getValue("allowedHosts");
    if (raw == null) {
      return DEFAULT_ALLOWED_HOSTS;
    }
    List<String> out = new ArrayList<>();
    if (raw instanceof String s) {
      for (String h : s.split(",")) {
        if (!h.isBlank()) {
          out.add(h.trim());
        }
      }
    } else if (raw instanceof JsonArray a) {
      for (Object o : a) {
        if (!(o instanceof String s)) {
          throw new ConfigException("webhooks.allowedHosts", "must be a list of host names like \"hooks.example.com\"");
        }
        out.add(s.trim());
      }
    } else {
      throw new ConfigException("webhooks.allowedHosts", "must be a list of host names or a comma-separated string");
    }
    for (String h : out) {
      if (!h.matches("\\*|(\\*\\.)?[A-Za-z0-9.:-]+")) {
        throw new ConfigException("webhooks.allowedHosts",
            "'" + h + "' is not a host name, an address, '*.' and a domain, or '*' (any host)");
      }
    }
    return List.copyOf(out);
  }
}
