public import KafkaNetwork
import NIOConcurrencyHelpers

/// Sees, and may change, the records a ``KafkaConsumer`` returns and the offsets it commits (Java's
/// `ConsumerInterceptor`).
///
/// Pass interceptors to ``KafkaConsumer/init(configuration:eventLoopGroup:logger:interceptors:metricsFactory:)``;
/// they run in the order given. Every method has a default implementation that does nothing (or
/// returns the records unchanged), so an interceptor implements only what it needs. The methods run
/// on the polling or committing task and must not block.
public protocol ConsumerInterceptor: Sendable {
    /// Called in ``KafkaConsumer/poll(timeout:)`` just before a non-empty batch is returned; the
    /// result is what the next interceptor sees and, after the last one, what `poll` returns.
    ///
    /// The consumer's positions have already moved past every fetched record, including records an
    /// interceptor drops.
    ///
    /// - Parameter records: the records fetched, or those the previous interceptor returned.
    /// - Returns: the records to hand on, possibly filtered or modified.
    func onConsume(_ records: [ConsumerRecord]) -> [ConsumerRecord]

    /// Called after ``KafkaConsumer/commit(_:)`` (or ``KafkaConsumer/commit()``) succeeded.
    ///
    /// - Parameter offsets: the offsets the coordinator accepted.
    func onCommit(_ offsets: [TopicPartition: OffsetAndMetadata])

    /// Called once, when the consumer is closed.
    func close()
}

extension ConsumerInterceptor {
    /// Returns `records` unchanged.
    public func onConsume(_ records: [ConsumerRecord]) -> [ConsumerRecord] { records }

    /// Does nothing.
    public func onCommit(_ offsets: [TopicPartition: OffsetAndMetadata]) {}

    /// Does nothing.
    public func close() {}
}

/// The interceptors of one consumer, run in order; closes them at most once.
final class ConsumerInterceptorChain: Sendable {
    let interceptors: [any ConsumerInterceptor]
    private let isClosed = NIOLockedValueBox(false)

    init(_ interceptors: [any ConsumerInterceptor]) {
        self.interceptors = interceptors
    }

    func onConsume(_ records: [ConsumerRecord]) -> [ConsumerRecord] {
        guard !records.isEmpty else { return records }
        return interceptors.reduce(records) { $1.onConsume($0) }
    }

    func onCommit(_ offsets: [TopicPartition: OffsetAndMetadata]) {
        for interceptor in interceptors { interceptor.onCommit(offsets) }
    }

    func close() {
        let first = isClosed.withLockedValue { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        for interceptor in interceptors { interceptor.close() }
    }
}
