package io.tidegate.stream.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.error.ApiError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.RetriableCommitFailedException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The member's commit rules, on one thread as on the member's, against Kafka's MockConsumer: no broker. */
class CommitLedgerTest {
  private static final TopicPartition P0 = new TopicPartition("orders", 0);
  private static final TopicPartition P1 = new TopicPartition("orders", 1);

  private FakeConsumer consumer;
  private long now = 1_000;
  private CommitLedger ledger;

  /** One commit's answer: pending until {@link #answered}. */
  private static final class Asked implements CommitLedger.Answer {
    boolean answered;
    ApiError refusal;

    @Override
    public void answer(ApiError e) {
      assertTrue(!answered, "a commit is answered once");
      answered = true;
      refusal = e;
    }

    void assertCommitted() {
      assertTrue(answered, "answered");
      assertNull(refusal, () -> "committed, but refused: " + refusal.status() + " " + refusal.detail());
    }

    void assertRefused(int status) {
      assertTrue(answered, "answered");
      assertTrue(refusal != null, "refused");
      assertEquals(status, refusal.status(), refusal.detail());
    }
  }

  @BeforeEach
  void setUp() {
    consumer = new FakeConsumer();
    consumer.holdCommits = true;
    consumer.assign(List.of(P0, P1));
    consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
    ledger = new CommitLedger(consumer, () -> now);
    ledger.assigned(List.of(P0, P1));
  }

  private Asked commit(TopicPartition tp, long offset) {
    Asked a = new Asked();
    ledger.commit(tp, offset, a);
    return a;
  }

  @Test
  void aPartitionTheMemberDoesNotOwnIsRefusedWith409() {
    ledger.handedOut(P0, 9);
    ledger.lost(List.of(P0));
    commit(P0, 3).assertRefused(409);
    commit(new TopicPartition("orders", 7), 0).assertRefused(409);
    assertEquals(0, consumer.held().size(), "nothing was asked of Kafka");
  }

  @Test
  void aRecordNotHandedToTheMemberIsRefusedWith400() {
    commit(P0, 0).assertRefused(400); // nothing handed out yet
    ledger.handedOut(P0, 4);
    commit(P0, 5).assertRefused(400);
    commit(P1, 0).assertRefused(400);
    assertEquals(0, consumer.held().size());
  }

  @Test
  void aRecordAlreadyCommittedIsRefusedWith409() {
    ledger.handedOut(P0, 9);
    Asked first = commit(P0, 5);
    consumer.takeHeld().succeed();
    first.assertCommitted();
    commit(P0, 5).assertRefused(409);
    commit(P0, 2).assertRefused(409);
    assertTrue(!commit(P0, 6).answered, "above what is committed: asked of Kafka");
    assertEquals(1, consumer.held().size());
  }

  @Test
  void aPartitionStartsAtItsCommittedPositionWhenAssigned() {
    consumer.seek(P1, 20);
    ledger.assigned(List.of(P1));
    ledger.handedOut(P1, 25);
    commit(P1, 19).assertRefused(409);
    Asked ok = commit(P1, 20);
    consumer.takeHeld().succeed();
    ok.assertCommitted();
  }

  @Test
  void commitsOfAPartitionGoOneAtATimeEachForTheHighestOffsetAsked() {
    ledger.handedOut(P0, 9);
    Asked a = commit(P0, 2);
    Asked b = commit(P0, 5);
    Asked c = commit(P0, 4);
    assertEquals(1, consumer.held().size(), "one commit of a partition in flight at a time");
    assertEquals(3, consumer.held().get(0).offset(P0));
    consumer.takeHeld().succeed();
    a.assertCommitted();
    assertTrue(!b.answered && !c.answered, "not covered by the first commit");
    assertEquals(1, consumer.held().size(), "the next commit is for the highest offset asked");
    assertEquals(6, consumer.held().get(0).offset(P0));
    consumer.takeHeld().succeed();
    b.assertCommitted();
    c.assertCommitted();
    assertEquals(0, consumer.held().size());
  }

  @Test
  void partitionsCommitIndependently() {
    ledger.handedOut(P0, 9);
    ledger.handedOut(P1, 9);
    commit(P0, 1);
    commit(P1, 1);
    assertEquals(2, consumer.held().size(), "one in flight per partition");
  }

  @Test
  void aCommitARebalanceInterruptedIsSentAgainOnceItSettlesWhileThePartitionIsOwned() {
    ledger.handedOut(P0, 9);
    Asked a = commit(P0, 3);
    consumer.takeHeld().fail(new RebalanceInProgressException("rebalancing"));
    assertTrue(!a.answered, "not answered: it is sent again");
    assertEquals(0, consumer.held().size(), "not sent again from inside the callback");
    ledger.retry();
    assertEquals(1, consumer.held().size(), "sent again between polls");
    assertEquals(4, consumer.held().get(0).offset(P0));
    consumer.takeHeld().succeed();
    a.assertCommitted();
  }

  @Test
  void aCommitARebalanceInterruptedIsRefusedWhenThePartitionMovedMeanwhile() {
    ledger.handedOut(P0, 9);
    Asked a = commit(P0, 3);
    consumer.takeHeld().fail(new RebalanceInProgressException("rebalancing"));
    ledger.lost(List.of(P0));
    ledger.retry();
    a.assertRefused(409);
    assertEquals(0, consumer.held().size());
  }

  @Test
  void aCommitRebalancesKeepInterruptingIsRefusedWith503AfterThirtySeconds() {
    ledger.handedOut(P0, 9);
    Asked a = commit(P0, 3);
    consumer.takeHeld().fail(new RebalanceInProgressException("rebalancing"));
    now += TimeUnit.SECONDS.toNanos(29);
    ledger.retry();
    consumer.takeHeld().fail(new RebalanceInProgressException("rebalancing"));
    assertTrue(!a.answered, "still within the 30 s");
    now += TimeUnit.SECONDS.toNanos(2);
    ledger.retry();
    consumer.takeHeld().fail(new RebalanceInProgressException("rebalancing"));
    a.assertRefused(503);
  }

  @Test
  void kafkaRefusingACommitIs409AndNotAnsweringIt503() {
    ledger.handedOut(P0, 9);
    ledger.handedOut(P1, 9);
    Asked refused = commit(P0, 3);
    Asked timedOut = commit(P1, 3);
    consumer.takeHeld().fail(new CommitFailedException());
    consumer.takeHeld().fail(new RetriableCommitFailedException("timed out"));
    refused.assertRefused(409);
    timedOut.assertRefused(503);
    assertTrue(!refused.refusal.detail().contains("CommitFailed") && !timedOut.refusal.detail().contains("timed out"),
        "Kafka's own words stay in the gateway");
  }

  @Test
  void aPartitionLostWithACommitInFlightAnswersItWhenKafkaDoesAndRefusesTheRest() {
    ledger.handedOut(P0, 9);
    Asked inFlight = commit(P0, 2);
    Asked waiting = commit(P0, 5);
    ledger.lost(List.of(P0));
    assertTrue(!inFlight.answered && !waiting.answered, "the one in flight may have been taken before the move");
    consumer.takeHeld().succeed();
    inFlight.assertCommitted();
    waiting.assertRefused(409);
    assertEquals(0, consumer.held().size(), "not sent for a partition the member lost");
  }

  @Test
  void deliveredOffsetsCountPerAssignment() {
    ledger.handedOut(P0, 9);
    ledger.lost(List.of(P0));
    ledger.assigned(List.of(P0));
    commit(P0, 9).assertRefused(400); // handed out under the previous assignment: the new owner had it
    ledger.handedOut(P0, 3);
    ledger.handedOut(P0, 7);
    assertTrue(!commit(P0, 7).answered, "handed out under this assignment: asked of Kafka");
    commit(P0, 8).assertRefused(400);
  }

  @Test
  void closingRefusesEveryCommitStillWaiting() {
    ledger.handedOut(P0, 9);
    ledger.handedOut(P1, 9);
    List<Asked> asked = new ArrayList<>(List.of(commit(P0, 1), commit(P0, 4), commit(P1, 2)));
    ledger.leaving();
    assertTrue(asked.stream().noneMatch(a -> a.answered), "those in flight wait for Kafka's answer");
    ledger.close();
    asked.forEach(a -> a.assertRefused(409));
    consumer.held().forEach(FakeConsumer.Held::succeed); // Kafka answers late: nothing is answered twice
  }
}
