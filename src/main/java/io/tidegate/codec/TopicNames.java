package io.tidegate.codec;

import io.tidegate.error.ApiError;

/**
 * Kafka's rules for topic names: [a-zA-Z0-9._-], 1 to 249 characters, not "." or "..". Names that start with
 * {@code __} are Kafka's own (group offsets, transaction state) and are never served, whatever the caller may do.
 */
public final class TopicNames {
  public static final int MAX_LENGTH = 249;
  public static final String INTERNAL_PREFIX = "__";

  private TopicNames() {}

  /** Whether the name is one of Kafka's internal topics, which the gateway never serves. */
  public static boolean isInternal(String name) {
    return name.startsWith(INTERNAL_PREFIX);
  }

  /**
   * Returns the name, or throws a 400 problem saying which rule it breaks, or a 403 for an internal name (the
   * same answer whether or not such a topic exists).
   */
  public static String validate(String name) {
    if (name == null || name.isEmpty()) {
      throw ApiError.invalidTopic("a topic name must not be empty");
    }
    if (name.length() > MAX_LENGTH) {
      throw ApiError.invalidTopic("a topic name has at most " + MAX_LENGTH + " characters, this one has " + name.length());
    }
    if (name.equals(".") || name.equals("..")) {
      throw ApiError.invalidTopic("a topic cannot be named '.' or '..'");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      if (!ok) {
        throw ApiError.invalidTopic("a topic name may hold only ASCII letters, digits, '.', '_' and '-'; '"
            + (Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c)) + "' is not allowed");
      }
    }
    if (isInternal(name)) {
      throw ApiError.forbidden("topics whose names start with '" + INTERNAL_PREFIX + "' are Kafka's own and are never served");
    }
    return name;
  }
}
