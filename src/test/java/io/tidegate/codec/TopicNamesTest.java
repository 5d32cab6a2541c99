package io.tidegate.codec;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tidegate.error.ApiError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopicNamesTest {
  @ParameterizedTest
  @ValueSource(strings = {"orders", "a.b_c-D9", "x"})
  void kafkaLegalNamesPass(String name) {
    assertDoesNotThrow(() -> TopicNames.validate(name));
  }

  @Test
  void longestLegalNamePasses() {
    assertDoesNotThrow(() -> TopicNames.validate("a".repeat(249)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "..", "has space", "é", "a/b", "a:b"})
  void illegalNamesAre400(String name) {
    assertEquals(400, assertThrows(ApiError.class, () -> TopicNames.validate(name)).status());
  }

  @Test
  void tooLongIs400() {
    assertEquals(400, assertThrows(ApiError.class, () -> TopicNames.validate("a".repeat(250))).status());
  }

  @ParameterizedTest
  @ValueSource(strings = {"__consumer_offsets", "__transaction_state", "__anything"})
  void internalNamesAre403(String name) {
    assertEquals(403, assertThrows(ApiError.class, () -> TopicNames.validate(name)).status());
  }

  @ParameterizedTest
  @ValueSource(strings = {"_one", "a__b"})
  void aSingleUnderscoreOrOneInsideIsFine(String name) {
    assertDoesNotThrow(() -> TopicNames.validate(name));
  }
}
