import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import Testing

typealias IdemState = IdempotentProducerState

let pid1 = ProducerIdentity(producerID: 1000, epoch: 0)
let idemP0 = TopicPartitionKey(topic: "t", partition: 0)
let idemP1 = TopicPartitionKey(topic: "t", partition: 1)
let idemP2 = TopicPartitionKey(topic: "u", partition: 0)

func readyState(_ identity: ProducerIdentity = pid1, maxInFlight: Int = 5, transactional: Bool = false) -> IdemState {
    var state = IdemState(maxInFlight: maxInFlight, isTransactional: transactional)
    state.producerIDReceived(identity)
    return state
}

@Suite(.timeLimit(.minutes(5))) struct IdempotenceStateMachineTests {
    @Test func initialStateNeedsAProducerIDAndBlocksSending() {
        var state = IdemState()
        #expect(state.needsProducerID)
        #expect(state.identity == .none)
        #expect(!state.canSend(idemP0))
        state.producerIDReceived(ProducerIdentity(producerID: -1, epoch: 0))
        #expect(state.needsProducerID, "an invalid identity is ignored")
        state.producerIDReceived(pid1)
        #expect(!state.needsProducerID)
        #expect(state.identity == pid1)
        #expect(state.canSend(idemP0))
    }

    @Test func producerIDRequestFailureIsRetriedOrFatal() {
        var state = IdemState()
        let retriableIsFatal = state.producerIDRequestFailed(.coordinatorNotAvailable)
        #expect(!retriableIsFatal)
        #expect(state.needsProducerID)
        let authorizationIsFatal = state.producerIDRequestFailed(.clusterAuthorizationFailed)
        #expect(authorizationIsFatal)
        #expect(state.fatalReason != nil)
        #expect(!state.needsProducerID)
        state.producerIDReceived(pid1)
        #expect(!state.canSend(idemP0), "a fatal producer stays failed")
    }

    @Test func sequencesAreConsecutivePerPartitionAndIndependentAcrossPartitions() {
        var state = readyState()
        let a = state.assignSequence(idemP0, recordCount: 3)
        let b = state.assignSequence(idemP1, recordCount: 4)
        let c = state.assignSequence(idemP0, recordCount: 2)
        let d = state.assignSequence(idemP0, recordCount: 5)
        let e = state.assignSequence(idemP1, recordCount: 1)
        #expect([a, c, d].map(\.baseSequence) == [0, 3, 5])
        #expect([b, e].map(\.baseSequence) == [0, 4])
        #expect([a, b, c, d, e].allSatisfy { $0.identity == pid1 })
        #expect(state.nextSequence(idemP0) == 10)
        #expect(state.nextSequence(idemP1) == 5)
        #expect(state.nextSequence(idemP2) == 0)
        #expect(state.inFlightCount(idemP0) == 3)
    }

    @Test func sequencesWrapAroundAtInt32Max() {
        var state = readyState()
        let big = state.assignSequence(idemP0, recordCount: Int(Int32.max) - 1)
        #expect(big.baseSequence == 0)
        #expect(state.nextSequence(idemP0) == Int32.max - 1)
        let nearEnd = state.assignSequence(idemP0, recordCount: 3)
        #expect(nearEnd.baseSequence == Int32.max - 1)
        #expect(state.nextSequence(idemP0) == 1, "Int32.max - 1 + 3 wraps to 1")
        let wrapped = state.assignSequence(idemP0, recordCount: 1)
        #expect(wrapped.baseSequence == 1)

        var exact = readyState()
        _ = exact.assignSequence(idemP0, recordCount: Int(Int32.max))
        #expect(exact.nextSequence(idemP0) == Int32.max)
        _ = exact.assignSequence(idemP0, recordCount: 1)
        #expect(exact.nextSequence(idemP0) == 0, "Int32.max + 1 wraps to 0")
    }

    @Test func maxInFlightGatesNewBatchesPerPartition() {
        var state = readyState()
        var batches: [IdemState.BatchSequence] = []
        for _ in 0..<5 {
            #expect(state.canSend(idemP0))
            batches.append(state.assignSequence(idemP0, recordCount: 1))
        }
        #expect(!state.canSend(idemP0))
        #expect(state.canSend(idemP1), "other partitions are independent")
        #expect(state.canResend(idemP0, batches[2]), "a retry keeps its slot")
        state.batchSucceeded(idemP0, batches[0], lastOffset: 0)
        #expect(state.canSend(idemP0))

        var two = readyState(maxInFlight: 2)
        _ = two.assignSequence(idemP0, recordCount: 1)
        _ = two.assignSequence(idemP0, recordCount: 1)
        #expect(!two.canSend(idemP0))
        #expect(IdemState(maxInFlight: 9).maxInFlight == 5)
    }

    @Test(arguments: [(0, false), (1, true), (5, true), (6, false), (-3, false)])
    func maxInFlightValidation(value: Int, valid: Bool) {
        if valid {
            #expect(throws: Never.self) { try IdemState.validate(maxInFlight: value) }
        } else {
            #expect(throws: IdempotenceConfigurationError.self) { try IdemState.validate(maxInFlight: value) }
        }
    }

    @Test func successPathAndRetriableErrorsKeepTheSequence() {
        var state = readyState()
        let a = state.assignSequence(idemP0, recordCount: 2)
        let b = state.assignSequence(idemP0, recordCount: 2)
        #expect(state.batchFailed(idemP0, a, error: .notLeaderOrFollower, logStartOffset: nil) == .retry)
        #expect(state.batchFailed(idemP0, b, error: .requestTimedOut, logStartOffset: nil) == .retry)
        #expect(state.inFlightCount(idemP0) == 2)
        #expect(state.canResend(idemP0, a))
        #expect(state.resequenceIfNeeded(idemP0, a) == a)
        #expect(state.resequenceIfNeeded(idemP0, b) == b)
        #expect(state.nextSequence(idemP0) == 4, "resending does not consume sequences")
        state.batchSucceeded(idemP0, a, lastOffset: 1)
        #expect(state.inFlightCount(idemP0) == 1)
        state.batchSucceeded(idemP0, b, lastOffset: 3)
        #expect(state.inFlightCount(idemP0) == 0)
        #expect(!state.epochBumpPending)
        #expect(state.identity == pid1)
    }

    @Test func duplicateSequenceIsTreatedAsSuccess() {
        var state = readyState()
        let a = state.assignSequence(idemP0, recordCount: 1)
        #expect(state.batchFailed(idemP0, a, error: .duplicateSequenceNumber, logStartOffset: 0) == .treatAsSuccess)
        #expect(state.inFlightCount(idemP0) == 0)
        #expect(!state.epochBumpPending)
    }

    @Test func outOfOrderOnANonFirstBatchIsRetried() {
        var state = readyState()
        let a = state.assignSequence(idemP0, recordCount: 1)
        let b = state.assignSequence(idemP0, recordCount: 1)
        #expect(state.batchFailed(idemP0, a, error: .notLeaderOrFollower, logStartOffset: nil) == .retry)
        #expect(state.batchFailed(idemP0, b, error: .outOfOrderSequenceNumber, logStartOffset: 0) == .retry)
        #expect(state.inFlightCount(idemP0) == 2)
        #expect(!state.epochBumpPending)
    }

    @Test func outOfOrderOnTheFirstBatchAfterRetentionBumpsTheEpoch() {
        var state = readyState()
        let a = state.assignSequence(idemP0, recordCount: 1)
        state.batchSucceeded(idemP0, a, lastOffset: 10)
        let b = state.assignSequence(idemP0, recordCount: 1)
        let decision = state.batchFailed(idemP0, b, error: .outOfOrderSequenceNumber, logStartOffset: 11)
        #expect(decision == .retryAfterEpochBump)
        #expect(state.identity == ProducerIdentity(producerID: 1000, epoch: 1))
        #expect(state.nextSequence(idemP0) == 0)
        let resent = state.resequenceIfNeeded(idemP0, b)
        #expect(resent.identity.epoch == 1 && resent.baseSequence == 0)
    }

    @Test func outOfOrderOnTheFirstBatchWithoutExplanationFailsIt() {
        var state = readyState()
        let a = state.assignSequence(idemP0, recordCount: 1)
        state.batchSucceeded(idemP0, a, lastOffset: 10)
        let b = state.assignSequence(idemP0, recordCount: 2)
        let c = state.assignSequence(idemP0, recordCount: 1)
        guard case .fail = state.batchFailed(idemP0, b, error: .outOfOrderSequenceNumber, logStartOffset: 5) else {
            Issue.record("expected .fail")
            return
        }
        #expect(state.epochBumpPending, "the failed batch leaves a gap before c")
        #expect(!state.canSend(idemP0) && !state.canSend(idemP1))
        #expect(
            state.batchFailed(idemP0, c, error: .outOfOrderSequenceNumber, logStartOffset: 5) == .retryAfterEpochBump)
        #expect(!state.epochBumpPending)
        #expect(state.identity.epoch == 1)

        var last = readyState()
        let only = last.assignSequence(idemP0, recordCount: 3)
        guard case .fail = last.batchFailed(idemP0, only, error: .outOfOrderSequenceNumber, logStartOffset: nil) else {
            Issue.record("expected .fail")
            return
        }
        #expect(!last.epochBumpPending, "the last sequenced batch gives its sequence back")
        #expect(last.nextSequence(idemP0) == 0)
        #expect(last.identity == pid1)
    }

    @Test func nonRetriableErrorsFailTheBatch() {
        var state = readyState()
        let a = state.assignSequence(idemP0, recordCount: 1)
        let b = state.assignSequence(idemP0, recordCount: 1)
        #expect(
            state.batchFailed(idemP0, b, error: .messageTooLarge, logStartOffset: nil)
                == .fail(reason: "MESSAGE_TOO_LARGE"))
        #expect(!state.epochBumpPending)
        #expect(state.nextSequence(idemP0) == 1)
        let c = state.assignSequence(idemP0, recordCount: 1)
        #expect(c.baseSequence == 1)
        #expect(
            state.batchFailed(idemP0, a, error: .invalidRecord, logStartOffset: nil) == .fail(reason: "INVALID_RECORD"))
        #expect(state.epochBumpPending, "failing a batch with a later one in flight leaves a gap")
    }

    @Test func unknownProducerIDBumpsTheEpochAfterInFlightBatchesFinish() {
        var state = readyState()
        let a = state.assignSequence(idemP0, recordCount: 1)
        let b = state.assignSequence(idemP0, recordCount: 1)
        let other = state.assignSequence(idemP1, recordCount: 1)
        #expect(state.batchFailed(idemP0, a, error: .unknownProducerId, logStartOffset: 0) == .retryAfterEpochBump)
        #expect(state.epochBumpPending)
        #expect(!state.canSend(idemP0) && !state.canSend(idemP1) && !state.canSend(idemP2))
        #expect(!state.canResend(idemP0, a))
        #expect(state.batchFailed(idemP0, b, error: .notLeaderOrFollower, logStartOffset: nil) == .retryAfterEpochBump)
        #expect(state.epochBumpPending, "partition 1 still has a batch in flight")
        #expect(state.identity == pid1)
        state.batchSucceeded(idemP1, other, lastOffset: 0)
        #expect(!state.epochBumpPending)
        #expect(state.identity == ProducerIdentity(producerID: 1000, epoch: 1))
        #expect(state.canSend(idemP0))
        let a2 = state.resequenceIfNeeded(idemP0, a)
        let b2 = state.resequenceIfNeeded(idemP0, b)
        #expect(a2.baseSequence == 0 && b2.baseSequence == 1)
        #expect(a2.identity.epoch == 1 && b2.identity.epoch == 1)
    }

    @Test func expiryBeforeSendFreesNothing() {
        var state = readyState()
        state.batchExpired(idemP0, nil, wasSent: false)
        #expect(!state.epochBumpPending)
        let a = state.assignSequence(idemP0, recordCount: 1)
        let b = state.assignSequence(idemP0, recordCount: 2)
        state.batchExpired(idemP0, b, wasSent: false)
        #expect(!state.epochBumpPending)
        #expect(state.nextSequence(idemP0) == 1, "the unsent last batch gives its sequence back")
        #expect(state.inFlightCount(idemP0) == 1)
        state.batchSucceeded(idemP0, a, lastOffset: 0)
        #expect(state.identity == pid1)
    }

    @Test func withoutKIP360EveryBumpObtainsANewProducerID() {
        // Kafka 2.4 and older (InitProducerId below v3): a gap is resolved under a new producer id, not a bumped epoch.
        var state = readyState()
        state.epochBumpsLocally = false
        let a = state.assignSequence(idemP0, recordCount: 3)
        let b = state.assignSequence(idemP0, recordCount: 2)
        state.batchExpired(idemP0, a, wasSent: true)
        #expect(state.epochBumpPending)
        #expect(
            state.batchFailed(idemP0, b, error: .outOfOrderSequenceNumber, logStartOffset: nil) == .retryAfterEpochBump)
        #expect(!state.epochBumpPending)
        #expect(state.needsProducerID, "the bump waits for InitProducerId")
        #expect(!state.canSend(idemP0) && !state.canResend(idemP0, b))
        let pid2 = ProducerIdentity(producerID: 2000, epoch: 0)
        state.producerIDReceived(pid2)
        let resent = state.resequenceIfNeeded(idemP0, b)
        #expect(resent.identity == pid2 && resent.baseSequence == 0)
        #expect(state.assignSequence(idemP0, recordCount: 1).baseSequence == 2)
    }

    @Test func expiryAfterSendHoldsThePartitionsUntilInFlightDrainsThenBumps() {
        var state = readyState()
        let a = state.assignSequence(idemP0, recordCount: 1)
        let b = state.assignSequence(idemP0, recordCount: 1)
        let c = state.assignSequence(idemP1, recordCount: 1)
        state.batchExpired(idemP0, a, wasSent: true)
        #expect(state.epochBumpPending)
        #expect(!state.canSend(idemP0) && !state.canSend(idemP1))
        state.batchSucceeded(idemP0, b, lastOffset: 7)
        #expect(state.epochBumpPending)
        #expect(state.identity == pid1)
        #expect(
            state.batchFailed(idemP1, c, error: .notLeaderOrFollower, logStartOffset: nil) == .retryAfterEpochBump)
        #expect(!state.epochBumpPending)
        #expect(state.identity.epoch == 1)
        #expect(state.nextSequence(idemP0) == 0 && state.nextSequence(idemP1) == 0)
        #expect(state.canResend(idemP1, c))
        #expect(state.resequenceIfNeeded(idemP1, c).baseSequence == 0)
    }

    @Test func epochBumpResetsAllPartitionsAndRetriesGetNewSequences() {
        var state = readyState()
        for partition in [idemP0, idemP1, idemP2] {
            for _ in 0..<3 {
                let batch = state.assignSequence(partition, recordCount: 2)
                state.batchSucceeded(partition, batch, lastOffset: 1)
            }
        }
        let retried = state.assignSequence(idemP1, recordCount: 2)
        #expect(retried.baseSequence == 6)
        #expect(
            state.batchFailed(idemP1, retried, error: .unknownProducerId, logStartOffset: 0) == .retryAfterEpochBump)
        #expect(state.identity.epoch == 1)
        for partition in [idemP0, idemP1, idemP2] {
            #expect(state.nextSequence(partition) == 0)
            #expect(state.inFlightCount(partition) == 0)
        }
        let fresh = state.assignSequence(idemP0, recordCount: 1)
        #expect(fresh.baseSequence == 0)
        let resent = state.resequenceIfNeeded(idemP1, retried)
        #expect(resent == IdemState.BatchSequence(identity: state.identity, baseSequence: 0, recordCount: 2))
        #expect(state.nextSequence(idemP1) == 2)
        state.batchSucceeded(idemP1, retried, lastOffset: 9)
        #expect(state.inFlightCount(idemP1) == 1, "a stale-identity answer does not acknowledge the new one")
        #expect(
            state.batchFailed(idemP1, retried, error: .messageTooLarge, logStartOffset: nil)
                == .fail(reason: "MESSAGE_TOO_LARGE"))
        #expect(
            state.batchFailed(idemP1, retried, error: .notLeaderOrFollower, logStartOffset: nil) == .retryAfterEpochBump
        )
        #expect(!state.epochBumpPending, "answers for an older identity request no bump")
        #expect(state.identity.epoch == 1)
        #expect(state.inFlightCount(idemP1) == 1)
    }

    @Test func epochOverflowRequiresANewProducerID() {
        var state = readyState(ProducerIdentity(producerID: 7, epoch: .max))
        let a = state.assignSequence(idemP0, recordCount: 1)
        #expect(state.batchFailed(idemP0, a, error: .unknownProducerId, logStartOffset: 0) == .retryAfterEpochBump)
        #expect(state.needsProducerID)
        #expect(state.identity == .none)
        #expect(!state.canSend(idemP0))
        #expect(!state.canResend(idemP0, a))
        state.producerIDReceived(ProducerIdentity(producerID: 8, epoch: 0))
        #expect(state.canSend(idemP0))
        let resent = state.resequenceIfNeeded(idemP0, a)
        #expect(resent.identity == ProducerIdentity(producerID: 8, epoch: 0) && resent.baseSequence == 0)
    }

    @Test func fencingIsFatal() {
        var state = readyState()
        let a = state.assignSequence(idemP0, recordCount: 1)
        let b = state.assignSequence(idemP1, recordCount: 1)
        guard case .fatal = state.batchFailed(idemP0, a, error: .producerFenced, logStartOffset: nil) else {
            Issue.record("expected .fatal")
            return
        }
        #expect(state.fatalReason?.contains("PRODUCER_FENCED") == true)
        #expect(!state.canSend(idemP0) && !state.canSend(idemP1) && !state.needsProducerID)
        guard case .fatal = state.batchFailed(idemP1, b, error: .notLeaderOrFollower, logStartOffset: nil) else {
            Issue.record("expected .fatal after fencing")
            return
        }
    }

    @Test func invalidProducerEpochIsFatalWhenTransactionalAndANewIDOtherwise() {
        var txn = readyState(transactional: true)
        let t = txn.assignSequence(idemP0, recordCount: 1)
        guard case .fatal = txn.batchFailed(idemP0, t, error: .invalidProducerEpoch, logStartOffset: nil) else {
            Issue.record("expected .fatal")
            return
        }

        var idem = readyState()
        let a = idem.assignSequence(idemP0, recordCount: 1)
        #expect(idem.batchFailed(idemP0, a, error: .invalidProducerEpoch, logStartOffset: nil) == .retryAfterEpochBump)
        #expect(idem.needsProducerID)
        #expect(idem.fatalReason == nil)
    }

    @Test func transactionalBumpsGoThroughInitProducerID() {
        var state = readyState(transactional: true)
        let a = state.assignSequence(idemP0, recordCount: 1)
        #expect(state.batchFailed(idemP0, a, error: .unknownProducerId, logStartOffset: 0) == .retryAfterEpochBump)
        #expect(state.needsProducerID)
        #expect(state.isTransactional)
    }
}

extension IdempotenceStateMachineTests {
    /// Found by the dev cluster's sequence checks: a partition's first batch fails with a retriable error
    /// (it waits in the queue to be resent), then a later batch of it is answered UNKNOWN_PRODUCER_ID.
    /// The bump must not wait for the queued retry — that retry can only be sent after the bump.
    @Test func aBumpDoesNotWaitForRetriesSittingInTheQueue() {
        var state = readyState()
        let first = state.assignSequence(idemP0, recordCount: 3)
        let second = state.assignSequence(idemP0, recordCount: 4)
        let other = state.assignSequence(idemP1, recordCount: 2)
        #expect(state.batchFailed(idemP0, first, error: .notEnoughReplicas, logStartOffset: nil) == .retry)
        #expect(
            state.batchFailed(idemP0, second, error: .unknownProducerId, logStartOffset: nil) == .retryAfterEpochBump)
        #expect(state.epochBumpPending, "idemP1 still has a batch on the wire")
        state.batchSucceeded(idemP1, other, lastOffset: 0)
        #expect(!state.epochBumpPending)
        #expect(state.identity == ProducerIdentity(producerID: 1000, epoch: 1))
        // The queued retry goes first, re-sequenced under the new epoch, then the bumped batch.
        #expect(state.canResend(idemP0, first))
        let resentFirst = state.resequenceIfNeeded(idemP0, first)
        let resentSecond = state.resequenceIfNeeded(idemP0, second)
        #expect(resentFirst.identity.epoch == 1 && resentFirst.baseSequence == 0)
        #expect(resentSecond.baseSequence == 3)
    }

    @Test func aRetryBeingResentIsOnTheWireAgainAndHoldsTheBump() {
        var state = readyState()
        let first = state.assignSequence(idemP0, recordCount: 3)
        let second = state.assignSequence(idemP0, recordCount: 1)
        #expect(state.batchFailed(idemP0, first, error: .requestTimedOut, logStartOffset: nil) == .retry)
        #expect(state.resequenceIfNeeded(idemP0, first) == first, "resent with its own sequence")
        #expect(
            state.batchFailed(idemP0, second, error: .unknownProducerId, logStartOffset: nil) == .retryAfterEpochBump)
        #expect(state.epochBumpPending, "the resent batch is on the wire: the bump waits for its answer")
        state.batchSucceeded(idemP0, first, lastOffset: 2)
        #expect(!state.epochBumpPending)
        #expect(state.identity.epoch == 1)
    }

    /// A batch whose answer was lost while a bump is pending may have been written: re-sequencing it could write its
    /// records twice. It is resent as it was, and the bump waits for the broker's word on it.
    @Test func aBatchThatMayHaveBeenWrittenIsResolvedBeforeTheBump() {
        var state = readyState()
        let a = state.assignSequence(idemP0, recordCount: 1)
        let c = state.assignSequence(idemP1, recordCount: 2)
        state.batchExpired(idemP0, a, wasSent: true)
        #expect(state.batchFailed(idemP1, c, error: .requestTimedOut, logStartOffset: nil) == .retry)
        #expect(state.epochBumpPending, "c may have been written: the bump waits")
        #expect(!state.canSend(idemP1))
        #expect(state.canResend(idemP1, c))
        #expect(state.resequenceIfNeeded(idemP1, c) == c, "resent under the old identity with its sequence")
        #expect(state.batchFailed(idemP1, c, error: .networkException, logStartOffset: nil) == .retry)
        #expect(state.epochBumpPending)
        #expect(state.resequenceIfNeeded(idemP1, c) == c)
        #expect(
            state.batchFailed(idemP1, c, error: .duplicateSequenceNumber, logStartOffset: nil) == .treatAsSuccess)
        #expect(!state.epochBumpPending)
        #expect(state.identity.epoch == 1)
    }

    @Test func aBatchThatMayHaveBeenWrittenAndIsThenRefusedIsResequencedAfterTheBump() {
        var state = readyState()
        let a = state.assignSequence(idemP0, recordCount: 1)
        let c = state.assignSequence(idemP1, recordCount: 2)
        state.batchExpired(idemP0, a, wasSent: true)
        #expect(state.batchFailed(idemP1, c, error: .networkException, logStartOffset: nil) == .retry)
        _ = state.resequenceIfNeeded(idemP1, c)
        #expect(
            state.batchFailed(idemP1, c, error: .notLeaderOrFollower, logStartOffset: nil) == .retryAfterEpochBump,
            "refused by the broker: not written")
        #expect(!state.epochBumpPending)
        #expect(state.canResend(idemP1, c))
        let resent = state.resequenceIfNeeded(idemP1, c)
        #expect(resent.identity.epoch == 1 && resent.baseSequence == 0)
    }

    /// Found by the dev cluster: a batch's answer is lost while the four after it are acknowledged. The broker
    /// remembers only its last five batches, so a sixth sent before the first is resolved would make it forget the
    /// first and answer its resend OUT_OF_ORDER_SEQUENCE_NUMBER instead of DUPLICATE_SEQUENCE_NUMBER.
    @Test func theWindowCountsBatchesAcknowledgedAfterAnUnacknowledgedOne() {
        var state = readyState()
        let batches = (0..<5).map { _ in state.assignSequence(idemP0, recordCount: 2) }
        #expect(!state.canSend(idemP0))
        #expect(state.batchFailed(idemP0, batches[0], error: .networkException, logStartOffset: nil) == .retry)
        for batch in batches.dropFirst() { state.batchSucceeded(idemP0, batch, lastOffset: -1) }
        #expect(state.inFlightCount(idemP0) == 1)
        #expect(!state.canSend(idemP0), "the window still holds five batches")
        #expect(state.resequenceIfNeeded(idemP0, batches[0]) == batches[0])
        #expect(
            state.batchFailed(idemP0, batches[0], error: .duplicateSequenceNumber, logStartOffset: nil)
                == .treatAsSuccess)
        #expect(state.canSend(idemP0))
        #expect(state.assignSequence(idemP0, recordCount: 1).baseSequence == 10)
    }
}
