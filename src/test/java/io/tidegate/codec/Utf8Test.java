package io.tidegate.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8Test {
  @Test
  void acceptsWellFormedText() {
    assertTrue(Utf8.isValid("plain ascii".getBytes(StandardCharsets.UTF_8)));
    assertTrue(Utf8.isValid("é ✓ 𝄞 ü".getBytes(StandardCharsets.UTF_8)));
    assertTrue(Utf8.isValid(new byte[0]));
  }

  @Test
  void rejectsMalformedSequences() {
    assertFalse(Utf8.isValid(new byte[] {(byte) 0xC3}), "truncated");
    assertFalse(Utf8.isValid(new byte[] {(byte) 0xC0, (byte) 0x80}), "overlong");
    assertFalse(Utf8.isValid(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}), "surrogate");
    assertFalse(Utf8.isValid(new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}), "above U+10FFFF");
    assertFalse(Utf8.isValid(new byte[] {(byte) 0x80}), "lone continuation");
  }

  @Test
  void agreesWithTheJdkDecoderOnRandomBytes() {
    Random random = new Random(42);
    for (int i = 0; i < 20_000; i++) {
      byte[] b = new byte[random.nextInt(8)];
      random.nextBytes(b);
      assertEquals(jdk(b), Utf8.isValid(b), () -> java.util.HexFormat.of().formatHex(b));
    }
  }

  private static boolean jdk(byte[] b) {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
