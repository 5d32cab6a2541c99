package io.tidegate.stream.group;

import io.tidegate.error.ApiError;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.common.TopicPartition;

/**
 * A member's commits on their way from the client's context to the member's thread, and their answers on the
 * way back. At most {@link #MAX_PENDING} are unanswered at once; more are refused with 503 at once.
 */
final class CommitQueue {
  /** Commits asked and not yet answered, per member. */
  static final int MAX_PENDING = 1000;

  private record Request(TopicPartition tp, long offset, Promise<Void> done) {}

  private final Context context;
  private final Queue<Request> requests = new ConcurrentLinkedQueue<>();
  // context only
  private int pending;
  private boolean closed;

  CommitQueue(Context context) {
    this.context = context;
  }

  /** On the context: queues a commit for the member's thread; completes on the context. */
  Future<Void> ask(TopicPartition tp, long offset) {
    if (closed) {
      return Future.failedFuture(CommitLedger.notOwned(tp));
    }
    if (pending >= MAX_PENDING) {
      return Future.failedFuture(ApiError.overloaded(MAX_PENDING + " commits of this member are waiting for Kafka; "
          + "wait for their answers (a commit covers every earlier record of its partition)"));
    }
    pending++;
    Promise<Void> done = Promise.promise();
    requests.add(new Request(tp, offset, done));
    return done.future().andThen(ar -> pending--);
  }

  /** On the member's thread: hands every queued commit to the ledger; its answers go back to the context. */
  void drainTo(CommitLedger ledger) {
    Request r;
    while ((r = requests.poll()) != null) {
      Promise<Void> done = r.done();
      ledger.commit(r.tp(), r.offset(), refusal -> context.runOnContext(v -> {
        if (refusal == null) {
          done.tryComplete();
        } else {
          done.tryFail(refusal);
        }
      }));
    }
  }

  /** On the context, once the member is over: what is queued, and whatever is asked from now on, is refused. */
  void close() {
    closed = true;
    Request r;
    while ((r = requests.poll()) != null) {
      r.done().tryFail(CommitLedger.notOwned(r.tp()));
    }
  }
}
