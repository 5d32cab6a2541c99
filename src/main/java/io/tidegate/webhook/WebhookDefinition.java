package io.tidegate.webhook;

import io.tidegate.codec.RecordFilter;
import io.tidegate.codec.TopicNames;
import io.tidegate.error.ApiError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One webhook as {@code POST /webhooks} defines it, validated: the topics it reads, where it POSTs, how it retries
 * and where dead letters go. {@code disabled} holds why delivery stopped (a 410 Gone), or null.
 */
public record WebhookDefinition(String name, List<String> topics, String url, JsonObject filter, String secret,
    int maxAttempts, long initialMs, long maxMs, long timeoutMs, String deadLetterTopic, String disabled) {

  public static final int MAX_TOPICS = 100;
  private static final Set<String> FIELDS = Set.of("name", "topics", "url", "filter", "secret", "maxAttempts",
      "backoff", "timeoutMs", "deadLetterTopic");
  private static final int MIN_SECRET_BYTES = 16;

  /** The consumer group that delivers it: {@code tidegate-webhook-<name>}. */
  public String group() {
    return "tidegate-webhook-" + name;
  }

  public boolean enabled() {
    return disabled == null;
  }

  public RecordFilter recordFilter() {
    return filter == null ? RecordFilter.ALL : RecordFilter.parse(filter);
  }

  public WebhookDefinition disable(String why) {
    return new WebhookDefinition(name, topics, url, filter, secret, maxAttempts, initialMs, maxMs, timeoutMs,
        deadLetterTopic, why);
  }

  /**
   * A definition from a client's JSON (or from the definitions topic, with {@code stored}: then {@code disabled}
   * may be present too). Throws a 400 or 422 {@link ApiError} naming what is wrong.
   */
  public static WebhookDefinition parse(JsonObject body, HostPatterns hosts, boolean stored) {
    for (String f : body.fieldNames()) {
      if (!FIELDS.contains(f) && !(stored && f.equals("disabled"))) {
        throw ApiError.unprocessable("unknown field '" + f + "' (a webhook has " + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
      }
    }
    String name = string(body, "name", true);
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}")) {
      throw ApiError.unprocessable("'name' must be 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    List<String> topics = topics(body.getValue("topics"));
    String url = url(string(body, "url", true), hosts);
    Object rawFilter = body.getValue("filter");
    JsonObject filter = null;
    if (rawFilter != null) {
      if (!(rawFilter instanceof JsonObject f)) {
        throw ApiError.unprocessable("'filter' must be an object like {\"key\":\"u1\",\"headers\":{...}}");
      }
      RecordFilter.parse(f); // throws a problem naming what is wrong
      filter = f.copy();
    }
    String secret = string(body, "secret", false);
    if (secret != null) {
      try {
        if (Signature.keyBytes(secret).length < MIN_SECRET_BYTES) {
          throw ApiError.unprocessable("'secret' must hold at least " + MIN_SECRET_BYTES + " bytes of key");
        }
      } catch (IllegalArgumentException e) {
        throw ApiError.unprocessable("'secret' starts with whsec_ but the rest is not base64");
      }
    }
    int maxAttempts = (int) number(body, "maxAttempts", 10, 1, 1000);
    JsonObject backoff = body.getValue("backoff") == null ? new JsonObject() : object(body, "backoff");
    for (String f : backoff.fieldNames()) {
      if (!f.equals("initialMs") && !f.equals("maxMs")) {
        throw ApiError.unprocessable("unknown field 'backoff." + f + "' (backoff has initialMs and maxMs)");
      }
    }
    long initialMs = number(backoff, "initialMs", 1000, 1, 3_600_000);
    long maxMs = number(backoff, "maxMs", Math.max(initialMs, 60_000), initialMs, 24 * 3_600_000L);
    long timeoutMs = number(body, "timeoutMs", 10_000, 100, 600_000);
    String dlq = string(body, "deadLetterTopic", false);
    dlq = TopicNames.validate(dlq == null ? name + ".dlq" : dlq);
    if (topics.contains(dlq)) {
      throw ApiError.unprocessable("the dead-letter topic '" + dlq + "' cannot be one the webhook reads");
    }
    String disabled = stored ? string(body, "disabled", false) : null;
    return new WebhookDefinition(name, topics, url, filter, secret, maxAttempts, initialMs, maxMs, timeoutMs, dlq, disabled);
  }

  /** As kept in the definitions topic: everything, the secret included. */
  public JsonObject toStored() {
    JsonObject o = toJson();
    if (secret != null) {
      o.put("secret", secret);
    }
    return o;
  }

  /** As answered to clients: the secret is never shown, only whether there is one ({@code "***"}). */
  public JsonObject toJson() {
    JsonObject o = new JsonObject().put("name", name).put("topics", new JsonArray(new ArrayList<>(topics))).put("url", url);
    if (filter != null) {
      o.put("filter", filter.copy());
    }
    if (secret != null) {
      o.put("secret", "***");
    }
    o.put("maxAttempts", maxAttempts)
        .put("backoff", new JsonObject().put("initialMs", initialMs).put("maxMs", maxMs))
        .put("timeoutMs", timeoutMs).put("deadLetterTopic", deadLetterTopic);
    if (disabled != null) {
      o.put("disabled", disabled);
    }
    return o;
  }

  private static List<String> topics(Object raw) {
    if (!(raw instanceof JsonArray arr) || arr.isEmpty() || arr.size() > MAX_TOPICS) {
      throw ApiError.unprocessable("'topics' must be a list of 1 to " + MAX_TOPICS + " topic names");
    }
    Set<String> out = new LinkedHashSet<>();
    for (Object t : arr) {
      if (!(t instanceof String s)) {
        throw ApiError.unprocessable("'topics' must hold topic names (strings)");
      }
      out.add(TopicNames.validate(s));
    }
    return List.copyOf(out);
  }

  private static String url(String url, HostPatterns hosts) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw ApiError.unprocessable("'url' is not a URL: " + e.getReason());
    }
    String scheme = uri.getScheme();
    if (!uri.isAbsolute() || scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
        || uri.getHost() == null) {
      throw ApiError.unprocessable("'url' must be an absolute http:// or https:// URL with a host");
    }
    if (uri.getUserInfo() != null || uri.getFragment() != null) {
      throw ApiError.unprocessable("'url' must carry no user information and no fragment");
    }
    if (!hosts.allows(uri.getHost())) {
      throw ApiError.unprocessable("webhooks may not call '" + uri.getHost()
          + "': the host is not in webhooks.allowedHosts (" + hosts + ")");
    }
    return url;
  }

  private static String string(JsonObject o, String field, boolean required) {
    Object v = o.getValue(field);
    if (v == null && !required) {
      return null;
    }
    if (!(v instanceof String s) || s.isEmpty() || s.length() > 4096) {
      throw ApiError.unprocessable("'" + field + "' must be a non-empty string of at most 4096 characters");
    }
    return s;
  }

  private static JsonObject object(JsonObject o, String field) {
    if (!(o.getValue(field) instanceof JsonObject j)) {
      throw ApiError.unprocessable("'" + field + "' must be an object");
    }
    return j;
  }

  private static long number(JsonObject o, String field, long dflt, long min, long max) {
    Object v = o.getValue(field);
    if (v == null) {
      return dflt;
    }
    if ((v instanceof Integer || v instanceof Long) && ((Number) v).longValue() >= min && ((Number) v).longValue() <= max) {
      return ((Number) v).longValue();
    }
    throw ApiError.unprocessable("'" + field + "' must be a whole number from " + min + " to " + max);
  }
}
