package io.tidegate.webhook;

import java.util.List;
import java.util.Locale;

/**
 * The hosts a webhook may call ({@code webhooks.allowedHosts}): a name or address matched whole, {@code *.domain}
 * for any name under the domain, {@code *} for any host. Names are matched as written in the url, not resolved.
 */
public final class HostPatterns {
  private final List<String> patterns;

  public HostPatterns(List<String> patterns) {
    this.patterns = patterns.stream().map(p -> p.toLowerCase(Locale.ROOT)).toList();
  }

  /** {@code host} as a URI gives it (IPv6 addresses may come in brackets). */
  public boolean allows(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    for (String p : patterns) {
      if (p.equals("*") || p.equals(h) || (p.startsWith("*.") && h.endsWith(p.substring(1)) && h.length() > p.length() - 1)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return String.join(", ", patterns);
  }
}
