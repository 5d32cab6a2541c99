package io.tidegate.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Standard Webhooks signature: {@code v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">}. A secret written
 * {@code whsec_<base64>} is the key those bytes decode to; any other secret is its UTF-8 bytes.
 */
public final class Signature {
  public static final String PREFIX = "whsec_";
  private final SecretKeySpec key;

  public Signature(String secret) {
    this.key = new SecretKeySpec(keyBytes(secret), "HmacSHA256");
  }

  /** The key's bytes; throws {@link IllegalArgumentException} for a {@code whsec_} secret that is not base64. */
  public static byte[] keyBytes(String secret) {
    return secret.startsWith(PREFIX) ? Base64.getDecoder().decode(secret.substring(PREFIX.length()))
        : secret.getBytes(StandardCharsets.UTF_8);
  }

  public String sign(String id, long timestampSeconds, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
    }
  }
}
