package io.tidegate.transport.ws;

import io.tidegate.auth.Access;
import io.tidegate.auth.AuthPolicy;
import io.tidegate.auth.Deadlines;
import io.tidegate.auth.Identity;
import io.tidegate.auth.SubjectLimits;
import io.tidegate.codec.RecordFilter;
import io.tidegate.error.ApiError;
import io.tidegate.error.ErrorMapper;
import io.vertx.core.AsyncResult;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * One socket's identity over its life. A socket opened without a token has {@code auth.handshakeSeconds} to send
 * {@code {"type":"auth","token":"<jwt>"}}; until then every other frame but {@code ping} is answered 401. The same
 * frame on an authenticated socket replaces the token (same subject only). When the token lapses (its
 * {@code exp} plus the clock skew, as {@link AuthPolicy#lapsesAtMs}) or the window passes, the socket gets a last
 * 401 {@code error} frame with its resume {@code offsets} and is closed with 1008.
 */
final class WsAuth {
  /** What the socket does for its identity. */
  interface Socket {
    void send(JsonObject frame);

    /** An {@code error} frame; the socket stays open. */
    void refuse(String id, ApiError e);

    /** A last {@code error} frame with the resume offsets, then close with {@code code} and {@code reason}. */
    void expel(String id, ApiError e, short code, String reason);

    /** The identity changed: subscriptions and group memberships the new one may not have end. */
    void narrow(String id, Access before, Access next);
  }

  private final AuthPolicy policy;
  private final Deadlines deadlines;
  private final Socket socket;
  private final ServerWebSocket ws;
  private Access access;
  /** This socket's place under {@code limits.maxConnectionsPerSubject}; null until it has an identity. */
  private SubjectLimits.Slot slot;
  private boolean verifying;
  private boolean over;

  /**
   * @param identity established at the handshake, or null when the socket must authenticate by frame
   * @param slot     the handshake identity's place under the per-subject connection limit (null with no identity)
   */
  WsAuth(AuthPolicy policy, Deadlines deadlines, Identity identity, SubjectLimits.Slot slot, ServerWebSocket ws,
      Socket socket) {
    this.policy = policy;
    this.slot = slot;
    this.ws = ws;
    this.deadlines = deadlines;
    this.socket = socket;
    if (identity != null) {
      become(identity);
    } else {
      long window = policy.handshakeMs();
      deadlines.watch(this, System.currentTimeMillis() + window, () -> socket.expel(null, policy.unauthenticated(
          "no valid token within " + window / 1000 + " s of the handshake: send {\"type\":\"auth\",\"token\":\"<jwt>\"}"),
          WsCloseCodes.POLICY, "unauthenticated"));
    }
  }

  /** What the socket may do; a 401 before it authenticated. */
  Access access() {
    if (access == null) {
      throw policy.unauthenticated("authenticate first: {\"type\":\"auth\",\"token\":\"<jwt>\"}");
    }
    return access;
  }

  /**
   * {@code {"type":"auth","id"?,"token"}}: answered {@code authenticated}. A bad token on a socket that has not
   * authenticated ends it (401 frame, close 1008); on an authenticated one it is an error frame and the old token
   * stays, as does a token for another subject (403).
   */
  void auth(String id, JsonObject msg) {
    if (verifying) {
      throw ApiError.conflict("a token is being verified; wait for its answer");
    }
    Object token = msg.getValue("token");
    verifying = true;
    ws.pause(); // the frames after this one wait, and are judged by its outcome
    policy.identify(token instanceof String t ? t : null).onComplete(ar -> {
      verifying = false;
      try {
        if (!over) {
          answer(id, ar);
        }
      } finally {
        ws.resume(); // only now: frames waiting behind the auth frame may be handed over at once
      }
    });
  }

  private void answer(String id, AsyncResult<Identity> ar) {
    if (ar.failed()) {
      ApiError e = ErrorMapper.toApiError(ar.cause());
      if (access == null) {
        socket.expel(id, e, WsCloseCodes.POLICY, "unauthenticated");
      } else {
        socket.refuse(id, e);
      }
      return;
    }
    Identity next = ar.result();
    if (access != null && !Objects.equals(access.identity().subject(), next.subject())) {
      try {
        policy.require(false, "replace this socket's token with one for another subject; open a new socket for it");
      } catch (ApiError e) {
        socket.refuse(id, e);
      }
      return;
    }
    if (access != null) {
      socket.narrow(id, access, policy.access(next));
    } else {
      try { // the first identity of a socket that authenticated by frame: counted now, 1013 when over the limit
        slot = policy.access(next).openConnection();
      } catch (ApiError e) {
        socket.expel(id, e, WsCloseCodes.OVERLOADED, "too many connections");
        return;
      }
    }
    become(next);
    long exp = next.expiresAtMs();
    socket.send(new JsonObject().put("type", "authenticated").put("id", id).put("subject", next.subject())
        .put("exp", exp > 0 ? exp / 1000 : null));
  }

  private void become(Identity identity) {
    access = policy.access(identity);
    deadlines.watch(this, policy.lapsesAtMs(identity),
        () -> socket.expel(null, policy.expired(), WsCloseCodes.POLICY, "token expired"));
  }

  /** Whether {@code check} passes (an {@link Access} check, which throws a 403 when it does not). */
  static boolean allows(Runnable check) {
    try {
      check.run();
      return true;
    } catch (ApiError e) {
      return false;
    }
  }

  /** Whether {@code next} forces another row-level filter on {@code topic} than {@code before} did. */
  static boolean refilters(Access before, Access next, String topic) {
    return !before.filterFor(topic, RecordFilter.ALL).equals(next.filterFor(topic, RecordFilter.ALL));
  }

  /** The socket closed. */
  void close() {
    over = true;
    deadlines.unwatch(this);
    if (slot != null) {
      slot.release();
    }
  }
}
