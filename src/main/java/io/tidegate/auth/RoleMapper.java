package io.tidegate.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a verified token's claims into {@link Permissions}: the {@code tidegate} claim as written, plus each
 * value of the {@code roles} claim mapped through {@code auth.roles}. In a role's filter values, {@code ${sub}}
 * and {@code ${claim.NAME}} are replaced from the token; a role whose placeholder the token cannot fill is not
 * granted at all (a filter that cannot be bound must not turn into no filter).
 */
public final class RoleMapper {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(sub|claim\\.([A-Za-z0-9_.-]+))}");

  private final Map<String, JsonObject> roles;

  /**
   * @param roles role name to permission shape, as in config
   * @throws IllegalArgumentException naming the role whose shape is wrong
   */
  public RoleMapper(Map<String, JsonObject> roles) {
    this.roles = new LinkedHashMap<>();
    roles.forEach((name, spec) -> {
      try {
        Permissions.fromJson(spec); // shape checked once, at start-up
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("role '" + name + "': " + e.getMessage(), e);
      }
      this.roles.put(name, spec.copy());
    });
  }

  /**
   * @throws IllegalArgumentException when the token's {@code tidegate} claim has the wrong shape
   */
  public Permissions permissions(JsonObject claims) {
    Permissions out = Permissions.NONE;
    Object own = claims.getValue("tidegate");
    if (own != null) {
      if (!(own instanceof JsonObject o)) {
        throw new IllegalArgumentException("the token's 'tidegate' claim must be an object");
      }
      out = out.union(Permissions.fromJson(o));
    }
    Object rs = claims.getValue("roles");
    JsonArray names = rs instanceof JsonArray a ? a : rs instanceof String s ? new JsonArray().add(s) : new JsonArray();
    for (Object name : names) {
      JsonObject spec = name instanceof String n ? roles.get(n) : null;
      if (spec != null) {
        JsonObject bound = bind(spec, claims);
        if (bound != null) {
          out = out.union(Permissions.fromJson(bound));
        }
      }
    }
    return out;
  }

  /** The role with its filter placeholders filled from the claims, or null when one cannot be filled. */
  static JsonObject bind(JsonObject spec, JsonObject claims) {
    JsonObject filters = spec.getJsonObject("filters");
    if (filters == null) {
      return spec;
    }
    JsonObject bound = new JsonObject();
    for (String pattern : filters.fieldNames()) {
      if (!(filters.getValue(pattern) instanceof JsonObject filter)) {
        bound.put(pattern, filters.getValue(pattern)); // a shape Permissions.fromJson refuses, naming it
        continue;
      }
      JsonObject f = new JsonObject();
      for (String field : filter.fieldNames()) {
        Object b = bindValue(filter.getValue(field), claims, field.equals("value"));
        if (b == null && filter.getValue(field) != null) {
          return null;
        }
        f.put(field, b);
      }
      bound.put(pattern, f);
    }
    return spec.copy().put("filters", bound);
  }

  /**
   * A value with its placeholders filled. In a value condition ({@code typed}) a string that is one placeholder
   * and nothing else takes the claim's own JSON type, so {@code "${claim.uid}"} with {@code "uid":7} compares
   * with the number 7; elsewhere (key, headers) claims are written into the string.
   */
  private static Object bindValue(Object value, JsonObject claims, boolean typed) {
    if (value instanceof String s) {
      Matcher m = PLACEHOLDER.matcher(s);
      if (typed && m.matches()) {
        Object v = claim(m, claims);
        return v instanceof String || v instanceof Number || v instanceof Boolean ? v : null;
      }
      m.reset();
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        Object v = claim(m, claims);
        if (!(v instanceof String) && !(v instanceof Number) && !(v instanceof Boolean)) {
          return null;
        }
        m.appendReplacement(out, Matcher.quoteReplacement(String.valueOf(v)));
      }
      m.appendTail(out);
      return out.toString();
    }
    if (value instanceof JsonObject o) {
      JsonObject copy = new JsonObject();
      for (String k : o.fieldNames()) {
        Object b = bindValue(o.getValue(k), claims, typed);
        if (b == null && o.getValue(k) != null) {
          return null;
        }
        copy.put(k, b);
      }
      return copy;
    }
    if (value instanceof JsonArray a) {
      JsonArray copy = new JsonArray();
      for (Object v : a) {
        Object b = bindValue(v, claims, typed);
        if (b == null && v != null) {
          return null;
        }
        copy.add(b);
      }
      return copy;
    }
    return value;
  }

  private static Object claim(Matcher m, JsonObject claims) {
    return m.group(1).equals("sub") ? claims.getValue("sub") : claims.getValue(m.group(2));
  }
}
