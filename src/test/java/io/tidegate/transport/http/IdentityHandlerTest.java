package io.tidegate.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class IdentityHandlerTest {

  @Test
  void accessTokenIsFoundFirstInTheMiddleOrLastOfTheQuery() {
    assertEquals("a.b.c", IdentityHandler.queryToken("/ws?access_token=a.b.c"));
    assertEquals("a.b.c", IdentityHandler.queryToken("/events?topic=orders&access_token=a.b.c&from=latest"));
    assertEquals("a.b.c", IdentityHandler.queryToken("/events?topic=orders&access_token=a.b.c"));
  }

  @Test
  void theFirstAccessTokenWinsAndValuesArePercentDecoded() {
    assertEquals("a.b-c_d", IdentityHandler.queryToken("/ws?access_token=a.b%2Dc_d&access_token=other"));
  }

  @Test
  void noTokenWhenAbsentEmptyOnlyASimilarNameOrBadlyEncoded() {
    assertNull(IdentityHandler.queryToken("/ws"));
    assertNull(IdentityHandler.queryToken("/ws?"));
    assertNull(IdentityHandler.queryToken("/ws?access_token="));
    assertNull(IdentityHandler.queryToken("/ws?access_token=%20"));
    assertNull(IdentityHandler.queryToken("/ws?my_access_token=a.b.c"));
    assertNull(IdentityHandler.queryToken("/ws?access_tokens=a.b.c"));
    assertNull(IdentityHandler.queryToken("/ws?topic=access_token=a.b.c"));
    assertNull(IdentityHandler.queryToken("/ws?access_token=a%zzb"));
    assertNull(IdentityHandler.queryToken(null));
  }
}
