extension KafkaConsumer {
    /// The records of the assigned partitions, one at a time, as an `AsyncSequence`.
    ///
    /// Iterating polls the consumer in a loop (see ``poll(timeout:)``) and hands out each polled batch record by
    /// record, so there is no task switch per record. Records of one partition come in offset order.
    ///
    /// ```swift
    /// try consumer.assign([TopicPartition(topic: "orders", partition: 0)])
    /// for try await record in consumer.records {
    ///     handle(record)
    /// }
    /// // Here the consumer was closed (or the task cancelled).
    /// ```
    ///
    /// The iteration ends (`next()` returns `nil`) when the consumer is closed — by ``close()``, from any task,
    /// or by a service group's graceful shutdown (see ``run()``) — and, as with `AsyncStream`, when the
    /// iterating task is cancelled. Records the iterator already holds from a poll are handed out first: their
    /// positions have advanced, so a ``commit()`` after the loop does not skip records the loop never saw.
    /// Breaking out of the loop, however, drops the rest of the current batch although its positions have
    /// advanced; use ``batches`` (or ``seek(_:to:)`` back) when that matters. Other errors of
    /// ``poll(timeout:)``, ``KafkaConsumerError/Kind/wakeup`` among them, are rethrown (the sequence's `Failure` is
    /// ``KafkaConsumerError``) and end the iteration; a new `for` loop polls again.
    ///
    /// Like ``poll(timeout:)``, one task iterates a consumer at a time: a second concurrent iteration (or poll)
    /// throws ``KafkaConsumerError/Kind/pollInProgress``.
    ///
    /// With ``KafkaConsumerConfiguration/enableTracing``, each record is handed out in a `process <topic>` span
    /// (kind `consumer`, a child of the producer's span whose context the record's headers carry) that ends when the
    /// loop asks for the next record or the iteration ends; the record's ``ConsumerRecord/serviceContext`` is the
    /// span's context.
    public var records: ConsumerRecords {
        ConsumerRecords(consumer: self)
    }

    /// The records of the assigned partitions in batches, one non-empty array per poll, as an `AsyncSequence`.
    ///
    /// Each element is the result of one ``poll(timeout:)`` that returned records (at most `max.poll.records`);
    /// empty polls are skipped.
    ///
    /// ```swift
    /// for try await batch in consumer.batches {
    ///     try await store(batch)
    ///     try await consumer.commit()  // the positions after `batch`
    /// }
    /// ```
    ///
    /// The iteration ends (`next()` returns `nil`) when the consumer is closed — by ``close()``, from any task,
    /// or by a service group's graceful shutdown (see ``run()``) — and, as with `AsyncStream`, when the
    /// iterating task is cancelled. Other errors of ``poll(timeout:)`` are rethrown (as ``KafkaConsumerError``) and
    /// end the iteration. One task iterates a consumer at a time.
    ///
    /// With ``KafkaConsumerConfiguration/enableTracing``, each record of a batch gets a `process <topic>` span of its
    /// own (a child of the producer's span, as with ``records``, so that every record stays in its producer's trace);
    /// the spans of a batch start when it is handed out and end together when the loop asks for the next batch or the
    /// iteration ends.
    public var batches: ConsumerBatches {
        ConsumerBatches(consumer: self)
    }

    /// Whether ``close()`` has been called.
    var isClosedForIteration: Bool {
        state.withLockedValue { $0.isClosed }
    }

    /// The next non-empty result of ``poll(timeout:)``, or `nil` once the consumer is closed or the task
    /// cancelled.
    func nextBatchForIteration() async throws(KafkaConsumerError) -> [ConsumerRecord]? {
        while true {
            if Task.isCancelled || isClosedForIteration { return nil }
            let batch: [ConsumerRecord]
            do throws(KafkaConsumerError) {
                batch = try await poll(timeout: ConsumerRecords.pollTimeout)
            } catch {
                if error.kind == .closed || error.kind == .cancelled { return nil }
                // Closing mid-poll can surface as the cluster client's shutdown error.
                if isClosedForIteration || Task.isCancelled { return nil }
                throw error
            }
            if !batch.isEmpty { return batch }
        }
    }
}

/// The records of a consumer's assigned partitions, one at a time: ``KafkaConsumer/records``.
///
/// The sequence ends when the consumer is closed or the iterating task is cancelled; see
/// ``KafkaConsumer/records`` for the details.
public struct ConsumerRecords: AsyncSequence, Sendable {
    public typealias Element = ConsumerRecord
    public typealias Failure = KafkaConsumerError

    /// How long each poll of an iteration waits for records before polling again.
    static let pollTimeout: Duration = .seconds(1)

    let consumer: KafkaConsumer

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(consumer: consumer)
    }

    /// Iterates ``ConsumerRecords``; holds the records of the current poll.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// A record.
        public typealias Element = ConsumerRecord
        public typealias Failure = KafkaConsumerError

        let consumer: KafkaConsumer
        private var batch: [ConsumerRecord] = []
        private var index = 0
        private var isFinished = false
        /// The `process` span of the record handed out last, with tracing on.
        private let spans: OpenProcessSpans?

        init(consumer: KafkaConsumer) {
            self.consumer = consumer
            self.spans = consumer.tracing == nil ? nil : OpenProcessSpans()
        }

        /// The next record; `nil` once the consumer is closed or the task cancelled.
        ///
        /// - Throws: the errors of ``KafkaConsumer/poll(timeout:)`` other than
        ///   ``KafkaConsumerError/Kind/closed`` and ``KafkaConsumerError/Kind/cancelled``.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(KafkaConsumerError)
            -> ConsumerRecord?
        {
            if index < batch.count {
                defer { index += 1 }
                return handOut(batch[index])
            }
            guard !isFinished else { return nil }
            spans?.endAll()  // the previous record's processing ended when the application asked for the next
            do {
                guard let next = try await consumer.nextBatchForIteration() else {
                    finish()
                    return nil
                }
                batch = next
                index = 1
                return handOut(next[0])
            } catch {
                finish()
                throw error
            }
        }

        /// The next record; see ``next(isolation:)``.
        public mutating func next() async throws(KafkaConsumerError) -> ConsumerRecord? {
            try await next(isolation: nil)
        }

        private mutating func finish() {
            isFinished = true
            batch = []
            index = 0
            spans?.endAll()
        }

        /// The record, with tracing on in its `process` span (the previous record's span ended).
        private func handOut(_ record: ConsumerRecord) -> ConsumerRecord {
            guard let spans, let tracing = consumer.tracing else { return record }
            var record = record
            spans.replace(with: &record, tracing: tracing)
            return record
        }
    }
}

/// The records of a consumer's assigned partitions, one non-empty batch per poll: ``KafkaConsumer/batches``.
///
/// The sequence ends when the consumer is closed or the iterating task is cancelled; see
/// ``KafkaConsumer/batches`` for the details.
public struct ConsumerBatches: AsyncSequence, Sendable {
    public typealias Element = [ConsumerRecord]
    public typealias Failure = KafkaConsumerError

    let consumer: KafkaConsumer

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(consumer: consumer)
    }

    /// Iterates ``ConsumerBatches``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// The records of one poll.
        public typealias Element = [ConsumerRecord]
        public typealias Failure = KafkaConsumerError

        let consumer: KafkaConsumer
        private var isFinished = false
        /// The `process` spans of the batch handed out last, with tracing on.
        private let spans: OpenProcessSpans?

        init(consumer: KafkaConsumer) {
            self.consumer = consumer
            self.spans = consumer.tracing == nil ? nil : OpenProcessSpans()
        }

        /// The next non-empty batch; `nil` once the consumer is closed or the task cancelled.
        ///
        /// - Throws: the errors of ``KafkaConsumer/poll(timeout:)`` other than
        ///   ``KafkaConsumerError/Kind/closed`` and ``KafkaConsumerError/Kind/cancelled``.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(KafkaConsumerError)
            -> [ConsumerRecord]?
        {
            guard !isFinished else { return nil }
            spans?.endAll()  // the previous batch's processing ended when the application asked for the next
            do {
                if var batch = try await consumer.nextBatchForIteration() {
                    if let spans, let tracing = consumer.tracing { spans.replace(with: &batch, tracing: tracing) }
                    return batch
                }
                isFinished = true
                return nil
            } catch {
                isFinished = true
                throw error
            }
        }

        /// The next non-empty batch; see ``next(isolation:)``.
        public mutating func next() async throws(KafkaConsumerError) -> [ConsumerRecord]? {
            try await next(isolation: nil)
        }
    }
}
