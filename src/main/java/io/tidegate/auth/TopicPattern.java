package io.tidegate.auth;

/**
 * A name in a permission: an exact topic or group name, or a prefix ending in {@code *} ({@code orders.*}
 * matches {@code orders.eu}; a lone {@code *} matches everything).
 */
public record TopicPattern(String text) {

  public TopicPattern {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("a pattern is a name, or a prefix ending in '*'");
    }
    int star = text.indexOf('*');
    if (star >= 0 && star != text.length() - 1) {
      throw new IllegalArgumentException("'" + text + "': '*' may only end a pattern");
    }
  }

  public boolean matches(String name) {
    return text.endsWith("*") ? name.startsWith(text.substring(0, text.length() - 1)) : name.equals(text);
  }

  @Override
  public String toString() {
    return text;
  }
}
