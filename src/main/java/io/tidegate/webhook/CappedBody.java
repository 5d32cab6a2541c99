package io.tidegate.webhook;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;

/** A receiver's response body: the first {@code cap} bytes are kept (for the dead letter's error), the rest dropped. */
final class CappedBody implements WriteStream<Buffer> {
  private final int cap;
  private final Buffer kept = Buffer.buffer();

  CappedBody(int cap) {
    this.cap = cap;
  }

  String text() {
    return kept.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Override
  public Future<Void> write(Buffer data) {
    int room = cap - kept.length();
    if (room > 0) {
      kept.appendBuffer(data.length() <= room ? data : data.getBuffer(0, room));
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> end() {
    return Future.succeededFuture();
  }

  @Override
  public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    return this;
  }

  @Override
  public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    return false;
  }

  @Override
  public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
    return this;
  }
}
