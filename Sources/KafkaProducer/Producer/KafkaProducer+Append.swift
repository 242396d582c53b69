import KafkaNetwork
import KafkaProtocol
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The send path behind ``KafkaProducer/send(_:)`` and ``KafkaProducer/send(_:completion:)``: interceptors, the
/// topic's partitions, the partition, the append to the accumulator, and the waits for metadata and buffer memory.
extension KafkaProducer {
    /// A record past its interceptors that needs a metadata fetch (no `placement` yet) or buffer memory.
    ///
    /// A class: the send path returns it as an optional for every record, and `nil` of a reference is one word
    /// that needs no outlined destroy (a struct this size cost a generic enum-tag check per record).
    @usableFromInline
    final class PendingAppend {
        let record: ProducerRecord
        let target: RecordCompletionTarget
        let start: ContinuousClock.Instant
        let placement: Placement?
        /// The record's send span, with tracing on: ended with the error if the append fails.
        var span: RecordSendSpan? = nil

        init(
            record: ProducerRecord, target: RecordCompletionTarget, start: ContinuousClock.Instant,
            placement: Placement? = nil
        ) {
            self.record = record
            self.target = target
            self.start = start
            self.placement = placement
        }
    }

    /// The send path's common case, synchronous (no suspension, no task allocation): the topic's metadata is cached
    /// and the record fits the partition's last batch or a new batch whose memory is free now. Returns `nil` once
    /// the record is appended, otherwise what ``appendWaiting(_:)`` must finish.
    @usableFromInline
    func appendNow(_ original: ProducerRecord, target: RecordCompletionTarget) throws(KafkaProducerError)
        -> PendingAppend?
    {
        startSenderIfNeeded()
        if let tracing { return try appendNowTraced(original, target: target, tracing: tracing) }
        return try appendNowIntercepted(original, target: target)
    }

    /// ``appendNow(_:target:)`` with tracing on: the record's send span starts (its context written into the
    /// record's headers before the interceptors see them) and ends with the record's outcome, or with the error when
    /// the record is not handed over.
    private func appendNowTraced(
        _ original: ProducerRecord, target: RecordCompletionTarget, tracing: ProducerTracing
    ) throws(KafkaProducerError) -> PendingAppend? {
        var record = original
        let span = tracing.startSend(of: &record)
        do throws(KafkaProducerError) {
            let pending = try appendNowIntercepted(record, target: span.wrapping(target))
            pending?.span = span
            return pending
        } catch {
            span.end(.failure(error))
            throw error
        }
    }

    /// The record through the interceptors and appended, or what must wait.
    private func appendNowIntercepted(_ original: ProducerRecord, target: RecordCompletionTarget)
        throws(KafkaProducerError) -> PendingAppend?
    {
        do throws(KafkaProducerError) {
            if interceptors.isEmpty { return try appendNow(open: original, target: target) }
            try checkOpen(original.topic)  // interceptors see records of an open producer only
            return try appendNow(open: try intercept(original), target: target)
        } catch {
            reportFailure(error)
            throw error
        }
    }

    /// The append of a record that passed the interceptors: the partition is chosen and the record appended under
    /// the accumulator's one lock (see
    /// ``RecordAccumulator/appendRouted(topic:generation:rule:key:value:timestamp:headers:completion:random:now:admit:)``),
    /// for every partitioner and for transactional producers alike. The record is passed on as it is (no copy).
    private func appendNow(open record: ProducerRecord, target: RecordCompletionTarget) throws(KafkaProducerError)
        -> PendingAppend?
    {
        // A closed or failed producer is seen through the core's flag (and a closed one is refused by the accumulator).
        if core.refusesSends.load(ordering: .acquiring) { try checkOpen(record.topic) }
        return try appendRouted(record, target: target, generation: cluster.metadataGeneration)
    }

    /// Appends the record to the partition its rule chooses; a transaction notes the partition in the same critical
    /// section (waking the sender when the coordinator must add it).
    private func appendRouted(
        _ record: ProducerRecord, target: RecordCompletionTarget, generation: UInt64
    ) throws(KafkaProducerError) -> PendingAppend? {
        let timestamp = record.timestamp ?? Self.currentTimeMillis()
        var random = SystemRandomNumberGenerator()
        let routed: RecordAccumulator<RecordCompletion>.RoutedAppend
        // Only a transaction needs `admit`: without one, no closure and no captured flag (a heap box per record).
        let transaction = isTransactional ? TransactionAdmission(core: core) : nil
        do {
            // The completion is made in the argument: a local would be copied (a retain and a release per record).
            routed = try accumulator.appendRouted(
                topic: record.topic, generation: generation, rule: partitionRule(for: record), key: record.key,
                value: record.value, timestamp: timestamp, headers: record.headers,
                completion: completion(for: record, target: target, timestamp: timestamp), random: &random,
                now: .now,  // read only for a new batch
                admit: transaction.map { transaction in { try transaction.admit($0) } })
        } catch let error as KafkaProducerError {
            throw error
        } catch {
            throw Self.appendError(error, topic: record.topic, partition: record.partition)
        }
        if transaction?.partitionToAdd == true { wakeup.wake() }
        switch routed {
        case .appended(let result, _):
            appended(result)
            return nil
        case .unknownTopic:
            return PendingAppend(record: record, target: target, start: .now)
        case .needsMemory(let partition, _):
            let placement = Placement(
                partition: TopicPartitionKey(topic: record.topic, partition: partition),
                completion: completion(for: record, target: target, timestamp: timestamp))
            return PendingAppend(record: record, target: target, start: .now, placement: placement)
        }
    }

    /// How the record's partition is chosen, as the Java client's `KafkaProducer.partition`: its explicit
    /// partition; a custom or the round-robin partitioner; otherwise its key's hash (unless `partitioner.ignore.keys`)
    /// or the sticky partition.
    private func partitionRule(for record: ProducerRecord) -> PartitionRule {
        Self.partitionRule(for: record, strategy: partitioner, ignoresKeys: ignoresKeys)
    }

    /// The rule for `record` under `strategy`.
    static func partitionRule(
        for record: ProducerRecord, strategy: PartitionerStrategy, ignoresKeys: Bool
    ) -> PartitionRule {
        if let partition = record.partition { return .explicit(partition) }
        switch strategy {
        case .default:
            if let key = record.key, !ignoresKeys { return .keyHash(Murmur2.hash(key.readableBytesView)) }
            return .sticky(bytes: (record.key?.readableBytes ?? 0) + (record.value?.readableBytes ?? 0))
        case .roundRobin:
            return .roundRobin
        case .custom(let custom):
            return .custom(custom, key: record.key, value: record.value)
        }
    }

    /// The record's completion token: its target, timestamp (the send's time unless given) and sizes.
    private func completion(
        for record: ProducerRecord, target: RecordCompletionTarget, timestamp: Int64? = nil
    ) -> RecordCompletion {
        RecordCompletion(
            target: target, timestamp: timestamp ?? record.timestamp ?? Self.currentTimeMillis(),
            keySize: Int32(clamping: record.key?.readableBytes ?? -1),
            valueSize: Int32(clamping: record.value?.readableBytes ?? -1))
    }

    /// The rest of a send that must wait: for the topic's metadata and for buffer memory, together at most
    /// `max.block.ms` from the send's start.
    @usableFromInline
    nonisolated(nonsending) func appendWaiting(_ pending: PendingAppend) async throws(KafkaProducerError) {
        do throws(KafkaProducerError) {
            let record = pending.record
            let deadline = pending.start + configuration.maxBlock
            let placement: Placement
            if let placed = pending.placement {
                placement = placed
            } else {
                let (_, generation) = try await topicInfo(record.topic, deadline: deadline)
                if let again = try appendRouted(record, target: pending.target, generation: generation) {
                    // The route just cached is at least as new as `generation`: only memory can be missing.
                    guard let placed = again.placement else {
                        throw KafkaProducerError(.unknownTopic, topic: record.topic, "the topic's metadata changed")
                    }
                    placement = placed
                } else {
                    return  // appended
                }
            }
            try await appendWaiting(record, placement: placement, deadline: deadline, start: pending.start)
        } catch {
            reportFailure(error)
            pending.span?.end(.failure(error))
            throw error
        }
    }

    /// The append that waits (until `deadline`) for buffer memory.
    nonisolated(nonsending) private func appendWaiting(
        _ record: ProducerRecord, placement: Placement, deadline: ContinuousClock.Instant,
        start: ContinuousClock.Instant
    ) async throws(KafkaProducerError) {
        let result: RecordAccumulator<RecordCompletion>.AppendResult
        do {
            result = try await accumulator.append(
                placement.partition, key: record.key, value: record.value,
                timestamp: placement.completion.timestamp, headers: record.headers,
                completion: placement.completion, maxBlock: max(.zero, deadline - ContinuousClock.now), now: start)
        } catch {
            throw Self.appendError(error, topic: record.topic, partition: placement.partition.partition)
        }
        appended(result)
    }

    /// Wakes the sender: a full batch is sendable now (later appends behind it need no wake: the sender already
    /// knows); a new batch needs the sender once its linger time is up.
    ///
    /// While a request is in flight, a batch that fills does not wake the sender at once: the answer runs the sender
    /// loop anyway (usually well within a millisecond), which then drains every full batch together, and the
    /// linger timer armed for the batch bounds the wait by `linger.ms`, as for any batch. With Java's rule (wake at
    /// once) the loop woke for every batch, which with 16 KiB batches cost a thread wake-up per 150 records.
    private func appended(_ result: RecordAccumulator<RecordCompletion>.AppendResult) {
        if result.batchIsFull && !result.wasFullBefore {
            if sender.requestsInFlight.load(ordering: .relaxed) == 0 {
                wakeup.wake()
            } else {
                wakeup.wake(unlessDueBy: .now + configuration.linger)
            }
        } else if result.newBatchCreated {
            wakeup.wake(unlessDueBy: .now + configuration.linger)
        }
    }

    /// A send that failed before its record was handed over: the interceptors and the error count learn of it.
    private func reportFailure(_ error: KafkaProducerError) {
        for interceptor in interceptors { interceptor.onAcknowledgement(.failure(error)) }
        metrics.recordErrors.increment()
    }

    /// Refuses sends once closed or failed.
    private func checkOpen(_ topic: String) throws(KafkaProducerError) {
        guard core.refusesSends.load(ordering: .acquiring), var refusal = core.withCore({ $0.refusal }) else { return }
        if refusal.kind == .closed { refusal.topic = topic }
        throw refusal
    }

    /// Runs the interceptors' `onSend`.
    private func intercept(_ original: ProducerRecord) throws(KafkaProducerError) -> ProducerRecord {
        var record = original
        for interceptor in interceptors {
            do {
                record = try interceptor.onSend(record)
            } catch {
                throw KafkaProducerError(
                    .invalidRecord, topic: record.topic, "interceptor \(type(of: interceptor)) rejected it: \(error)")
            }
        }
        return record
    }

    /// A transactional send's admission of its partition (under the accumulator's lock): whether the coordinator must
    /// be told of the partition first. Used by one send on one task.
    private final class TransactionAdmission {
        let core: ProducerCoreBox
        var partitionToAdd = false

        init(core: ProducerCoreBox) { self.core = core }

        func admit(_ partition: TopicPartitionKey) throws(KafkaProducerError) {
            if try core.withCore(throwing: { core throws(KafkaProducerError) in try core.admit(partition) }) {
                partitionToAdd = true
            }
        }
    }

    /// Where a record goes and how its outcome is reported.
    struct Placement {
        var partition: TopicPartitionKey
        var completion: RecordCompletion
    }

    /// The send's error for an accumulator failure.
    private static func appendError(_ error: any Error, topic: String, partition: Int32?) -> KafkaProducerError {
        switch error {
        case let error as KafkaProducerPartitionError:
            KafkaProducerError(.invalidPartition, topic: topic, partition: partition, "\(error)")
        case ProducerBufferError.recordTooLarge(let size, let limit):
            KafkaProducerError(
                .recordTooLarge, topic: topic, partition: partition,
                "the record is \(size) bytes when serialized, more than \(limit) bytes "
                    + "(max.request.size / buffer.memory)")
        case ProducerBufferError.timedOut(let size, let waited):
            KafkaProducerError(
                .bufferExhausted, topic: topic, partition: partition,
                "no \(size) bytes of buffer.memory became free within \(waited.clampedMilliseconds) ms (max.block.ms)")
        case ProducerBufferError.closed:
            KafkaProducerError(.closed, topic: topic, "the producer is closed")
        case is CancellationError:
            KafkaProducerError(.invalidRecord, topic: topic, "the send was cancelled")
        default:
            KafkaProducerError(
                .invalidRecord, topic: topic, partition: partition,
                "the record cannot be encoded: \(error)")
        }
    }

    /// The topic's partitions from the cache, when the metadata did not change since they were cached.
    private func cachedTopicInfo(_ topic: String) -> (PartitionerTopicInfo, generation: UInt64)? {
        let current = cluster.metadataGeneration
        return accumulator.cachedTopicInfo(topic, generation: current).map { ($0, current) }
    }

    /// The topic's partitions, from the cached metadata when it has them, otherwise waiting for a refresh until
    /// `deadline` (`max.block.ms`); cached in the accumulator (with the metadata generation it is from, returned too).
    func topicInfo(
        _ topic: String, deadline: ContinuousClock.Instant
    ) async throws(KafkaProducerError) -> (PartitionerTopicInfo, generation: UInt64) {
        guard !topic.isEmpty else { throw KafkaProducerError(.invalidRecord, "the record has an empty topic name") }
        if let cached = cachedTopicInfo(topic) { return cached }
        var attempt = 0
        while true {
            let (metadata, generation) = cluster.cachedMetadataWithGeneration
            if let described = metadata.topics[topic], !described.partitions.isEmpty {
                let info = PartitionerTopicInfo(
                    topic: topic, partitionCount: described.partitions.count,
                    availablePartitions: described.partitions.filter { $0.leader != nil }.map(\.partition))
                accumulator.cacheRoute(topic: topic, info: info, generation: generation)
                return (info, generation)
            }
            if metadata.topics[topic]?.error == .topicAuthorizationFailed {
                // Not authorized to describe the topic: no refresh will change that (Java's TopicAuthorizationException).
                throw KafkaProducerError(
                    .broker(.topicAuthorizationFailed), topic: topic,
                    "not authorized to access the topic: TOPIC_AUTHORIZATION_FAILED (29)")
            }
            let now = ContinuousClock.now
            if now >= deadline {
                let reason = metadata.topics[topic]?.error.map { " (\($0.name))" } ?? ""
                throw KafkaProducerError(
                    .unknownTopic, topic: topic,
                    "topic not present in metadata after \(configuration.maxBlock.clampedMilliseconds) ms\(reason) "
                        + "(max.block.ms)")
            }
            if attempt > 0 {
                let pause = min(cluster.retryPolicy.delay(beforeRetry: attempt, random: 0.5), deadline - now)
                try? await Task.sleep(for: pause)
            }
            attempt += 1
            do {
                cluster.invalidateMetadata(topic: topic)
                _ = try await cluster.metadata(for: [topic])
            } catch {
                logger.debug("metadata for \(topic) failed", metadata: ["error": "\(error)"])
            }
        }
    }

    static func currentTimeMillis() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
