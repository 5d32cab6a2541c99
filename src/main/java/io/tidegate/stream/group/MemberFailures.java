package io.tidegate.stream.group;

import io.tidegate.error.ApiError;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.GroupMaxSizeReachedException;
import org.apache.kafka.common.errors.InconsistentGroupProtocolException;
import org.apache.kafka.common.errors.InvalidGroupIdException;

/** Why a group member stopped, as the client is told it: in the gateway's words, not Kafka's. */
final class MemberFailures {
  private MemberFailures() {}

  static ApiError toApiError(String group, Throwable cause) {
    String g = "group '" + group + "'";
    if (cause instanceof AuthorizationException) {
      return ApiError.forbidden("Kafka does not allow the gateway to join " + g + " or to read its topics");
    }
    if (cause instanceof InconsistentGroupProtocolException) {
      return ApiError.conflict("Kafka refused the member: " + g + " has members that share partitions out another "
          + "way (another assignor or protocol)");
    }
    if (cause instanceof GroupMaxSizeReachedException) {
      return ApiError.overloaded(g + " has as many members as Kafka allows; retry once one leaves");
    }
    if (cause instanceof InvalidGroupIdException) {
      return ApiError.badRequest("Kafka does not accept " + g + " as a group name");
    }
    if (cause instanceof FencedInstanceIdException) {
      return ApiError.conflict("Kafka refused the member: another member of " + g + " took its place");
    }
    return ApiError.unavailable("the member of " + g + " stopped on a Kafka failure; subscribe again to rejoin", 1);
  }
}
