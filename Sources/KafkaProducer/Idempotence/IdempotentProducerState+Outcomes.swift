package import KafkaNetwork
package import KafkaProtocol

extension IdempotentProducerState {
    /// Records that `batch` of `partition` was acknowledged at `lastOffset` (pass `-1` when unknown): it leaves the
    /// in-flight set. A batch of an older identity only counts towards a pending bump being applied.
    package mutating func batchSucceeded(_ partition: TopicPartitionKey, _ batch: BatchSequence, lastOffset: Int64) {
        acknowledge(partition, batch, lastOffset: lastOffset)
        applyPendingBumpIfPossible()
    }

    /// Classifies a failed produce of `batch` of `partition` and updates the state; see the type's documentation for
    /// the rules. `logStartOffset` is the broker's log start offset from the produce response, when it sent one.
    package mutating func batchFailed(
        _ partition: TopicPartitionKey, _ batch: BatchSequence, error: KafkaErrorCode, logStartOffset: Int64?
    ) -> FailureDecision {
        let decision = decide(partition, batch, error: error, logStartOffset: logStartOffset)
        if decision == .retry, isTracked(partition, batch) {
            partitions[partition]?.awaitingResend.insert(batch)
            if Self.mayHaveBeenWritten(error) {
                partitions[partition]?.fateUnknown.insert(batch)
            } else {
                partitions[partition]?.fateUnknown.remove(batch)
            }
        }
        applyPendingBumpIfPossible()
        return decision
    }

    /// Records that `batch` (`nil` when it never got a sequence) of `partition` hit its delivery timeout. A batch
    /// that was sent leaves an unknown gap: an epoch bump is requested and no later sequence is sent before it.
    /// A batch that was never sent frees nothing when it was the last one sequenced (its sequence is given back).
    package mutating func batchExpired(_ partition: TopicPartitionKey, _ batch: BatchSequence?, wasSent: Bool) {
        guard let batch, isTracked(partition, batch) else {
            applyPendingBumpIfPossible()
            return
        }
        let givenBack = !wasSent && releaseIfLast(partition, batch)
        if !givenBack {
            removeFromInFlight(partition, batch)
            requestEpochBump()
        }
        applyPendingBumpIfPossible()
    }

    private mutating func decide(
        _ partition: TopicPartitionKey, _ batch: BatchSequence, error: KafkaErrorCode, logStartOffset: Int64?
    ) -> FailureDecision {
        if let fatalReason { return .fatal(reason: fatalReason) }
        switch error {
        case .duplicateSequenceNumber:
            acknowledge(partition, batch, lastOffset: -1)
            return .treatAsSuccess
        case .producerFenced, .transactionalIdAuthorizationFailed, .clusterAuthorizationFailed:
            return becomeFatal("\(error.name) for producer \(batch.identity)")
        case .invalidProducerEpoch where isTransactional:
            return becomeFatal("\(error.name) for producer \(batch.identity)")
        default:
            break
        }
        let recoverable =
            error.isRetriable || error == .outOfOrderSequenceNumber || error == .unknownProducerId
            || error == .invalidProducerEpoch
        if recoverable && epochBumpPending && isTracked(partition, batch) && Self.mayHaveBeenWritten(error) {
            // The broker may have the batch: resend it as it is until the broker says, before the bump.
            return .retry
        }
        if recoverable && (epochBumpPending || !isTracked(partition, batch)) {
            // A bump is coming (or already happened): the batch will be re-sequenced under the new identity.
            removeFromInFlight(partition, batch)
            return .retryAfterEpochBump
        }
        switch error {
        case .unknownProducerId:
            return bumpAndRetry(partition, batch)
        case .invalidProducerEpoch:
            // Idempotent-only: the broker holds a newer epoch for our id than we do; start over with a new id.
            removeFromInFlight(partition, batch)
            requestEpochBump(newProducerID: true)
            return .retryAfterEpochBump
        case .outOfOrderSequenceNumber:
            let state = partitions[partition] ?? PartitionState()
            if state.inFlight.first != batch { return .retry }
            if let logStartOffset, logStartOffset > state.lastAckedOffset {
                return bumpAndRetry(partition, batch)
            }
            return failBatch(
                partition, batch,
                reason: "\(error.name): the broker lost acknowledged records of \(partition) "
                    + "(sequence \(batch.baseSequence), \(batch.identity))")
        default:
            if error.isRetriable { return .retry }
            return failBatch(partition, batch, reason: error.name)
        }
    }

    private mutating func bumpAndRetry(_ partition: TopicPartitionKey, _ batch: BatchSequence) -> FailureDecision {
        removeFromInFlight(partition, batch)
        requestEpochBump()
        return .retryAfterEpochBump
    }

    private mutating func failBatch(
        _ partition: TopicPartitionKey, _ batch: BatchSequence, reason: String
    ) -> FailureDecision {
        // A batch of an older identity holds no current sequence: failing it leaves no gap.
        if isTracked(partition, batch) && !releaseIfLast(partition, batch) {
            removeFromInFlight(partition, batch)
            requestEpochBump()
        }
        return .fail(reason: reason)
    }

    private mutating func becomeFatal(_ reason: String) -> FailureDecision {
        fatalReason = reason
        return .fatal(reason: reason)
    }

    private mutating func acknowledge(_ partition: TopicPartitionKey, _ batch: BatchSequence, lastOffset: Int64) {
        guard isTracked(partition, batch) else { return }
        removeFromInFlight(partition, batch)
        if lastOffset >= 0, let previous = partitions[partition]?.lastAckedOffset, lastOffset > previous {
            partitions[partition]?.lastAckedOffset = lastOffset
        }
    }

    /// Gives the sequence of `batch` back when it is the last one sequenced for `partition`; returns whether it did.
    private mutating func releaseIfLast(_ partition: TopicPartitionKey, _ batch: BatchSequence) -> Bool {
        guard isTracked(partition, batch), var state = partitions[partition], state.inFlight.last == batch,
            Self.increment(batch.baseSequence, by: batch.recordCount) == state.nextSequence
        else { return false }
        state.inFlight.removeLast()
        state.awaitingResend.remove(batch)
        state.fateUnknown.remove(batch)
        if state.window.last == batch { state.window.removeLast() }
        state.trimWindow()
        state.nextSequence = batch.baseSequence
        partitions[partition] = state
        return true
    }

    private mutating func removeFromInFlight(_ partition: TopicPartitionKey, _ batch: BatchSequence) {
        guard batch.identity == identity else { return }
        partitions[partition]?.inFlight.removeAll { $0 == batch }
        partitions[partition]?.awaitingResend.remove(batch)
        partitions[partition]?.fateUnknown.remove(batch)
        partitions[partition]?.trimWindow()
    }
}
