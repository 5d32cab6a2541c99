package io.tidegate.codec;

import io.tidegate.error.ApiError;

/** Strict UTF-8 validation (no overlong forms, no surrogates, nothing above U+10FFFF). */
public final class Utf8 {
  private Utf8() {}

  /** UTF-16/32 JSON has a zero byte among its first four, or a UTF-16 byte order mark; UTF-8 JSON never does. */
  public static void requireJsonUtf8(byte[] body) {
    int n = Math.min(4, body.length);
    boolean bom16 = n >= 2 && ((body[0] == (byte) 0xFE && body[1] == (byte) 0xFF)
        || (body[0] == (byte) 0xFF && body[1] == (byte) 0xFE));
    boolean zero = false;
    for (int i = 0; i < n; i++) {
      zero |= body[i] == 0;
    }
    if (bom16 || zero) {
      throw ApiError.unsupportedMediaType("JSON bodies must be encoded as UTF-8 (this one looks like UTF-16 or UTF-32)");
    }
  }

  public static boolean isValid(byte[] b) {
    int i = 0;
    int n = b.length;
    while (i < n) {
      int c = b[i] & 0xFF;
      if (c < 0x80) {
        i++;
        continue;
      }
      int need;
      int min;
      if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        min = 0x80;
      } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        min = 0x800;
      } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        min = 0x10000;
      } else {
        return false;
      }
      if (i + need >= n) {
        return false;
      }
      int cp = c & (0x3F >> need);
      for (int k = 1; k <= need; k++) {
        int cc = b[i + k] & 0xFF;
        if ((cc & 0xC0) != 0x80) {
          return false;
        }
        cp = (cp << 6) | (cc & 0x3F);
      }
      if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return false;
      }
      i += need + 1;
    }
    return true;
  }
}
