import KafkaNetwork
import KafkaProtocol
import Logging
import Metrics

/// Why a batch's attempt failed, whatever reported it (the partition's error code or a failed request).
struct BatchFailure: Sendable {
    /// The error code the idempotence bookkeeping classifies.
    var code: KafkaErrorCode
    /// Whether sending again may succeed.
    var isRetriable: Bool
    /// The partition's log start offset from the response, when the broker sent one.
    var logStartOffset: Int64?
    /// What to tell the caller if the batch fails for good.
    var message: String
    /// How the failure is reported when it is final.
    var kind: KafkaProducerError.Kind
    /// For DUPLICATE_SEQUENCE_NUMBER: where the broker says the original batch was written (-1 or nil
    /// when it no longer knows), reported to the records as their offsets.
    var baseOffset: Int64? = nil
    /// For DUPLICATE_SEQUENCE_NUMBER: the original batch's log append time, when the broker sent one.
    var logAppendTime: Int64? = nil
}

extension ProducerSender {
    /// Handles a finished ProduceRequest: every batch of it is acknowledged, retried or failed.
    func requestCompleted(
        node: Int32, batches: inout [DrainedBatch<RecordCompletion>],
        result: Result<[TopicPartitionKey: PartitionProduceOutcome], any Error>
    ) {
        core.withCore { $0.inFlight.requestFinished(to: node) }
        requestsInFlight.wrappingDecrement(ordering: .relaxed)
        let now = ContinuousClock.now
        switch result {
        case .success(let outcomes):
            // The acknowledged batches' memory goes back in one pass, before their records' callbacks run (a batch
            // failed by a forced close was deallocated already: deallocating is idempotent).
            accumulator.deallocate(batches.lazy.filter { outcomes[$0.topicPartition]?.error == KafkaErrorCode.none })
            for index in batches.indices {
                // A batch failed by a forced close is no longer ours to complete.
                guard removeInFlight(batches[index]) else { continue }
                let partition = batches[index].topicPartition
                let outcome =
                    outcomes[partition]
                    ?? PartitionProduceOutcome(topicPartition: partition, error: .unknownServerError)
                if outcome.error == .none {
                    succeed(&batches[index], baseOffset: outcome.baseOffset, logAppendTime: outcome.logAppendTime)
                    continue
                }
                let batch = batches[index]
                if outcome.error.invalidatesMetadata {
                    cluster.invalidateMetadata(topic: batch.topicPartition.topic)
                    core.withCore { $0.background.metadataRefreshWanted = true }
                }
                var message = outcome.errorMessage.map { "\(outcome.error.name): \($0)" } ?? outcome.error.name
                if !outcome.recordErrors.isEmpty {
                    let indexes = outcome.recordErrors.map { "\($0.index)" }.joined(separator: ", ")
                    message += " (rejected records at batch index \(indexes))"
                }
                let failure = BatchFailure(
                    code: outcome.error, isRetriable: outcome.error.isRetriable,
                    logStartOffset: outcome.logStartOffset, message: message, kind: .broker(outcome.error),
                    baseOffset: outcome.baseOffset, logAppendTime: outcome.logAppendTime)
                failed(batch, failure, now: now)
            }
        case .failure(let error):
            let failure = Self.classify(error)
            if failure.isRetriable {
                // The broker may be gone or no longer lead these partitions.
                for batch in batches { cluster.invalidateMetadata(topic: batch.topicPartition.topic) }
                core.withCore { $0.background.metadataRefreshWanted = true }
            }
            logger.debug(
                "produce request failed", metadata: ["broker": "\(node)", "error": "\(error)"])
            for batch in batches where removeInFlight(batch) {
                failed(batch, failure, now: now)
            }
        }
        resumeFlushWaiters()
        wakeup.wake()
    }

    static func classify(_ error: any Error) -> BatchFailure {
        switch error {
        case let error as KafkaNetworkError:
            let code: KafkaErrorCode = error.kind == .requestTimedOut ? .requestTimedOut : .networkException
            return BatchFailure(
                code: error.isRetriable ? code : .unknownServerError, isRetriable: error.isRetriable,
                message: "\(error)", kind: error.isRetriable ? .broker(code) : .network)
        case let error as KafkaError:
            return BatchFailure(
                code: error.code, isRetriable: error.code.isRetriable, message: "\(error)", kind: .broker(error.code))
        case let error as KafkaProtocolError:
            return BatchFailure(code: .corruptMessage, isRetriable: false, message: "\(error)", kind: .invalidRecord)
        default:
            return BatchFailure(code: .networkException, isRetriable: true, message: "\(error)", kind: .network)
        }
    }

    /// Decides what a failed attempt means for the batch: retry (same sequence, or after an epoch bump), success
    /// (a duplicate), or failure.
    func failed(_ batch: DrainedBatch<RecordCompletion>, _ failure: BatchFailure, now: ContinuousClock.Instant) {
        if failure.code == .messageTooLarge, splitForRetry(batch, now: now) { return }
        let decision = batch.sequence.flatMap { sequence in
            core.withCore { core in
                core.idempotence?.batchFailed(
                    batch.topicPartition, sequence, error: failure.code, logStartOffset: failure.logStartOffset)
            }
        }
        guard let decision, let sequence = batch.sequence else {
            if failure.isRetriable && batch.attempts < settings.retries {
                retryOrExpire(batch, failure, now: now)
            } else {
                fail(batch, KafkaProducerError(failure.kind, failure.message))
            }
            return
        }
        switch decision {
        case .retry:
            if batch.attempts < settings.retries {
                retryOrExpire(batch, failure, now: now)
            } else {
                // The batch keeps a sequence the broker may or may not have: only an epoch bump can move on.
                core.withCore { $0.idempotence?.batchExpired(batch.topicPartition, sequence, wasSent: true) }
                fail(batch, KafkaProducerError(failure.kind, "\(failure.message) (retries exhausted)"))
            }
        case .retryAfterEpochBump where isTransactional:
            // A transaction cannot re-sequence its batches under a new epoch: it is aborted, and the bump happens
            // with the coordinator during abortTransaction().
            fail(batch, KafkaProducerError(failure.kind, "\(failure.message) (the producer epoch must be bumped)"))
        case .retryAfterEpochBump:
            retryOrExpire(batch, failure, now: now)
        case .treatAsSuccess:
            // A duplicate: the broker has the batch; it may still tell where (Kafka before 1.0, the dev cluster).
            accumulator.deallocate(batch)
            var duplicate = batch
            succeed(&duplicate, baseOffset: max(failure.baseOffset ?? -1, -1), logAppendTime: failure.logAppendTime)
        case .fail(let reason):
            fail(batch, KafkaProducerError(failure.kind, reason))
        case .fatal(let reason):
            let fenced =
                isTransactional && (failure.code == .producerFenced || failure.code == .invalidProducerEpoch)
            becomeFatal(reason, kind: fenced ? .fenced : .fatal)
            fail(batch, KafkaProducerError(fenced ? .fenced : .fatal, reason))
        }
    }

    /// Splits a batch the broker refused as too large into pieces of `batch.size`, re-enqueued in its place with the
    /// same sequences (the broker wrote none of it); `false` when it cannot be split (then it fails).
    private func splitForRetry(_ batch: DrainedBatch<RecordCompletion>, now: ContinuousClock.Instant) -> Bool {
        guard let pieces = accumulator.splitPieces(of: batch) else { return false }
        var sequences: [IdempotentProducerState.BatchSequence?] = []
        if let sequence = batch.sequence,
            let split = core.withCore({
                $0.idempotence?.split(batch.topicPartition, sequence, into: pieces.map(\.recordCount))
            })
        {
            sequences = split
        }
        metrics.retries.increment()
        accumulator.reenqueue(batch, splitInto: pieces, sequences: sequences, now: now)
        return true
    }

    /// Re-enqueues a batch for another attempt, unless its delivery timeout has passed.
    private func retryOrExpire(
        _ batch: DrainedBatch<RecordCompletion>, _ failure: BatchFailure, now: ContinuousClock.Instant
    ) {
        let forced = core.withCore { $0.lifecycle.isForced }
        if now - batch.createdAt >= settings.deliveryTimeout || forced {
            core.withCore { $0.idempotence?.batchExpired(batch.topicPartition, batch.sequence, wasSent: true) }
            let reason =
                forced
                ? "the producer was closed before the batch was acknowledged (last error: \(failure.message))"
                : "delivery.timeout.ms expired after \(batch.attempts + 1) attempts (last error: \(failure.message))"
            fail(batch, KafkaProducerError(.deliveryTimedOut, reason))
            return
        }
        metrics.retries.increment()
        accumulator.reenqueue(batch, now: now)
    }

    /// Completes every record of an acknowledged batch; the caller has deallocated the batch.
    func succeed(_ batch: inout DrainedBatch<RecordCompletion>, baseOffset: Int64, logAppendTime: Int64?) {
        if let sequence = batch.sequence {
            let lastOffset = baseOffset >= 0 ? baseOffset + Int64(batch.recordCount) - 1 : -1
            core.withCore { $0.idempotence?.batchSucceeded(batch.topicPartition, sequence, lastOffset: lastOffset) }
        }
        metrics.recordsSent.increment(by: batch.recordCount)
        metrics.bytesSent.increment(by: batch.records.readableBytes)
        metrics.batchSize.record(batch.records.readableBytes)
        metrics.recordsPerBatch.record(batch.recordCount)
        let topic = batch.topicPartition.topic
        let partition = batch.topicPartition.partition
        // The batch's oldest record (appended when the batch was created) stands for the batch: one measurement per
        // batch, not per record.
        metrics.recordLatency.recordInterval(since: batch.createdAt, now: .now)
        batch.takeCompletions { index, completion in
            let metadata = RecordMetadata(
                topic: topic, partition: partition, offset: baseOffset >= 0 ? baseOffset + Int64(index) : -1,
                timestamp: logAppendTime ?? completion.timestamp, serializedKeySize: Int(completion.keySize),
                serializedValueSize: Int(completion.valueSize))
            notify(completion, .success(metadata))
        }
    }

    /// Fails every record of a batch with `error` (given the batch's topic and partition).
    func fail(_ batch: DrainedBatch<RecordCompletion>, _ error: KafkaProducerError) {
        accumulator.deallocate(batch)
        var error = error
        error.topic = batch.topicPartition.topic
        error.partition = batch.topicPartition.partition
        metrics.recordErrors.increment(by: batch.recordCount)
        logger.debug(
            "batch failed", metadata: ["records": "\(batch.recordCount)", "error": "\(error)"])
        for completion in batch.completions { notify(completion, .failure(error)) }
        if isTransactional { core.withCore { $0.batchFailed(error) } }
    }

    func notify(_ completion: consuming RecordCompletion, _ result: Result<RecordMetadata, KafkaProducerError>) {
        if !interceptors.isEmpty {  // a for-in over an empty array retains and releases it, per record
            for interceptor in interceptors { interceptor.onAcknowledgement(result) }
        }
        completion.complete(result)
    }

    /// Queued batches older than `delivery.timeout.ms` fail.
    func failExpiredBatches(now: ContinuousClock.Instant) {
        for batch in accumulator.expireBatches(now: now) {
            core.withCore {
                $0.idempotence?.batchExpired(batch.topicPartition, batch.sequence, wasSent: batch.attempts > 0)
            }
            let waited = now - batch.createdAt
            // A batch waiting for its retry was sent before: the broker may have written it without answering.
            let sent =
                batch.attempts > 0 ? ", after \(batch.attempts) attempt(s) whose outcome is unknown" : ", never sent"
            fail(
                batch,
                KafkaProducerError(
                    .deliveryTimedOut,
                    "\(batch.recordCount) record(s) expired: \(waited.clampedMilliseconds) ms passed since the batch was "
                        + "created\(sent) (delivery.timeout.ms)"))
        }
        resumeFlushWaiters()
    }

    /// Fails every queued batch: after a fatal error, on a forced close, or (with `error`) when the transaction is
    /// being aborted.
    func failQueuedBatches(with override: KafkaProducerError? = nil) {
        let error =
            override ?? core.withCore { $0.lifecycle.fatalError }
            ?? KafkaProducerError(.closed, "the producer was closed before the record was sent")
        for batch in accumulator.abortAll() {
            core.withCore {
                $0.idempotence?.batchExpired(batch.topicPartition, batch.sequence, wasSent: batch.attempts > 0)
            }
            fail(batch, error)
        }
        resumeFlushWaiters()
    }

    /// Fails the records of every request still in flight (a forced close): their responses are ignored.
    func failInFlightBatches() {
        for batch in core.withCore({ $0.inFlight.takeAll() }) {
            fail(
                batch,
                KafkaProducerError(
                    .closed, "the producer was closed before the broker acknowledged the record"))
        }
        resumeFlushWaiters()
    }

    /// Makes the producer unusable: every later `send` fails, and queued batches are failed.
    func becomeFatal(_ reason: String, kind: KafkaProducerError.Kind = .fatal) {
        let error = KafkaProducerError(kind, reason)
        let first = core.withCore { $0.lifecycle.fail(error) }
        if first { logger.error("producer failed fatally", metadata: ["reason": "\(reason)"]) }
        failQueuedBatches()
    }
}

extension Timer {
    /// Records the time from `start` to `now`.
    func recordInterval(since start: ContinuousClock.Instant, now: ContinuousClock.Instant) {
        recordNanoseconds((now - start).clampedNanoseconds)
    }
}
