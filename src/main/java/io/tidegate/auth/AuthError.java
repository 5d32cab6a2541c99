package io.tidegate.auth;

/** Why a token was refused; the message is safe to show the client (it never echoes the token). */
public final class AuthError extends RuntimeException {
  public AuthError(String message) {
    super(message, null, false, false);
  }
}
