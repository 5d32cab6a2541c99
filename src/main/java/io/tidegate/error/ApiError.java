package io.tidegate.error;

import io.vertx.core.json.JsonObject;

/**
 * The one error type the gateway answers with: an RFC 9457 problem. Every transport renders it
 * (HTTP as application/problem+json, WebSocket as an error frame). It carries no stack trace.
 *
 * @param retryAfterSeconds for 503s, how long a client should wait; 0 when not applicable
 */
public final class ApiError extends RuntimeException {
  private static final String TYPE_BASE = "https://tidegate.io/problems/";

  private final int status;
  private final String title;
  private final String detail;
  private final String type;
  private final int retryAfterSeconds;

  private ApiError(int status, String slug, String title, String detail, int retryAfterSeconds) {
    super(detail, null, false, false);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.type = TYPE_BASE + slug;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static ApiError badRequest(String detail) {
    return new ApiError(400, "bad-request", "Bad Request", detail, 0);
  }

  public static ApiError malformedJson(String detail) {
    return new ApiError(400, "malformed-json", "Malformed JSON", detail, 0);
  }

  public static ApiError invalidTopic(String detail) {
    return new ApiError(400, "invalid-topic", "Invalid topic name", detail, 0);
  }

  public static ApiError notFound(String detail) {
    return new ApiError(404, "not-found", "Not Found", detail, 0);
  }

  public static ApiError unknownTopic(String topic) {
    return new ApiError(404, "unknown-topic", "Unknown topic", "topic '" + topic + "' does not exist", 0);
  }

  /** No valid credentials: answered with {@code WWW-Authenticate: Bearer} (see {@link Problems}). */
  public static ApiError unauthorized(String detail) {
    return new ApiError(401, "unauthorized", "Unauthorized", detail, 0);
  }

  public static ApiError forbidden(String detail) {
    return new ApiError(403, "forbidden", "Forbidden", detail, 0);
  }

  public static ApiError methodNotAllowed(String detail) {
    return new ApiError(405, "method-not-allowed", "Method Not Allowed", detail, 0);
  }

  public static ApiError conflict(String detail) {
    return new ApiError(409, "conflict", "Conflict", detail, 0);
  }

  public static ApiError tooLarge(String detail) {
    return new ApiError(413, "too-large", "Payload Too Large", detail, 0);
  }

  public static ApiError unsupportedMediaType(String detail) {
    return new ApiError(415, "unsupported-media-type", "Unsupported Media Type", detail, 0);
  }

  public static ApiError invalidRecord(int index, String detail) {
    String where = index < 0 ? "" : "record " + index + ": ";
    return new ApiError(422, "invalid-record", "Invalid record", where + detail, 0);
  }

  public static ApiError unprocessable(String detail) {
    return new ApiError(422, "unprocessable", "Unprocessable Content", detail, 0);
  }

  public static ApiError tooManyConnections(String detail, int retryAfterSeconds) {
    return new ApiError(429, "too-many-connections", "Too Many Connections", detail, Math.max(1, retryAfterSeconds));
  }

  /** A per-subject publish rate ({@code limits.publish*PerSecond}) is spent: retry after the given seconds. */
  public static ApiError rateLimited(String detail, int retryAfterSeconds) {
    return new ApiError(429, "rate-limited", "Too Many Requests", detail, Math.max(1, retryAfterSeconds));
  }

  public static ApiError internal(String detail) {
    return new ApiError(500, "internal", "Internal Server Error", detail, 0);
  }

  public static ApiError unavailable(String detail, int retryAfterSeconds) {
    return new ApiError(503, "kafka-unavailable", "Kafka unavailable", detail, Math.max(1, retryAfterSeconds));
  }

  /** The gateway is draining (SIGTERM): retry on another instance, or on this one once it is back. */
  public static ApiError shuttingDown(String detail) {
    return new ApiError(503, "shutting-down", "Shutting down", detail, 1);
  }

  public static ApiError overloaded(String detail) {
    return new ApiError(503, "overloaded", "Overloaded", detail, 1);
  }

  /** A socket holds as many subscriptions as {@code limits.maxSubscriptionsPerSocket} allows. */
  public static ApiError tooManySubscriptions(String detail) {
    return new ApiError(429, "too-many-subscriptions", "Too many subscriptions", detail, 0);
  }

  /** A streaming client stopped taking what it was sent: the last frame before the close (1013). */
  public static ApiError tooSlow(String detail) {
    return new ApiError(503, "too-slow", "Too slow", detail, 1);
  }

  public static ApiError timeout(String detail, int retryAfterSeconds) {
    return new ApiError(503, "kafka-timeout", "Kafka did not answer in time", detail, Math.max(1, retryAfterSeconds));
  }

  /** A bare status, for failures Vert.x Web raises itself (no route, wrong method, body too large...). */
  public static ApiError ofStatus(int status) {
    return switch (status) {
      case 400 -> badRequest("the request could not be read");
      case 404 -> notFound("no such resource");
      case 405 -> methodNotAllowed("this resource does not accept that method");
      case 413 -> tooLarge("the request body is larger than the configured limit");
      case 414 -> new ApiError(414, "uri-too-long", "URI Too Long", "the request line is longer than the gateway reads", 0);
      case 431 -> new ApiError(431, "headers-too-large", "Request Header Fields Too Large",
          "the request's headers are larger than the gateway reads", 0);
      case 415 -> unsupportedMediaType("this resource does not accept that Content-Type");
      case 503 -> unavailable("the service is unavailable", 1);
      default -> status >= 400 && status < 500
          ? new ApiError(status, "client-error", "Client Error", "the request was refused", 0)
          : internal("an unexpected error occurred; see the gateway log");
    };
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }

  public String detail() {
    return detail;
  }

  public String type() {
    return type;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public JsonObject toJson() {
    return new JsonObject().put("type", type).put("title", title).put("status", status).put("detail", detail);
  }
}
