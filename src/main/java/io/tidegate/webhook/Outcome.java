package io.tidegate.webhook;

/**
 * What one attempt to POST a record came to.
 *
 * @param status       the receiver's HTTP status; 0 when there was none (timeout, connection refused)
 * @param retryAfterMs how long a 429 or 503 asked to wait ({@code Retry-After}); 0 when it did not say
 * @param error        what went wrong, in words (with a few bytes of the receiver's answer); null when delivered
 */
record Outcome(int status, long retryAfterMs, String error) {
  boolean delivered() {
    return status >= 200 && status < 300;
  }

  /** 410 Gone: the receiver says this webhook is no more; delivery stops. */
  boolean gone() {
    return status == 410;
  }

  /** The status as a metric tag: the number, or what happened instead of an answer. */
  String statusTag() {
    return status != 0 ? String.valueOf(status) : error != null && error.startsWith("timeout") ? "timeout" : "error";
  }
}
