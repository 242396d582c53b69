/// Hears about partitions changing hands in a consumer group (Java's `ConsumerRebalanceListener`).
///
/// The callbacks run inside ``KafkaConsumer/poll(timeout:)`` (and ``KafkaConsumer/close()`` or
/// ``KafkaConsumer/unsubscribe()``), on the task that called it — never while the application is still
/// handling records of an earlier poll — so a commit made in ``partitionsRevoked(_:consumer:)`` covers
/// exactly what was handed out, and the next owner starts right after it.
///
/// ```swift
/// struct CommitOnRevoke: ConsumerRebalanceListener {
///     func partitionsRevoked(_ partitions: [TopicPartition], consumer: KafkaConsumer) async throws {
///         try await consumer.commit()
///     }
///     func partitionsAssigned(_ partitions: [TopicPartition], consumer: KafkaConsumer) async throws {}
/// }
/// try consumer.subscribe(topics: ["orders"], listener: CommitOnRevoke())
/// ```
///
/// An error thrown by a callback is thrown by the poll that ran it, after the rebalance step has
/// completed (the partitions are revoked or assigned all the same), as a ``KafkaConsumerError`` of kind
/// ``KafkaConsumerError/Kind/rebalanceListener(_:)`` naming the callback, with the callback's error as
/// ``KafkaConsumerError/underlying``.
public protocol ConsumerRebalanceListener: Sendable {
    /// The consumer is about to give up `partitions` (a rebalance, ``KafkaConsumer/unsubscribe()`` or
    /// ``KafkaConsumer/close()``): it still owns them, so this is the place to commit their offsets. With
    /// the cooperative protocol only the partitions that move are revoked; the call is skipped when none do.
    func partitionsRevoked(_ partitions: [TopicPartition], consumer: KafkaConsumer) async throws

    /// The consumer now owns `partitions` (with the cooperative protocol, only those added), before any of
    /// their records is fetched: the place to seek. Called after every completed rebalance, even with
    /// none.
    func partitionsAssigned(_ partitions: [TopicPartition], consumer: KafkaConsumer) async throws

    /// The consumer lost `partitions` without a chance to commit (its session expired, it was expelled or
    /// its generation went stale): other members may own them already. By default this calls
    /// ``partitionsRevoked(_:consumer:)``, as Java does; commits made there fail.
    func partitionsLost(_ partitions: [TopicPartition], consumer: KafkaConsumer) async throws
}

extension ConsumerRebalanceListener {
    /// Calls ``partitionsRevoked(_:consumer:)``, as Java's default does.
    public func partitionsLost(_ partitions: [TopicPartition], consumer: KafkaConsumer) async throws {
        try await partitionsRevoked(partitions, consumer: consumer)
    }
}

/// The listener used when the application gives none.
struct NoRebalanceListener: ConsumerRebalanceListener {
    func partitionsRevoked(_ partitions: [TopicPartition], consumer: KafkaConsumer) async throws {}
    func partitionsAssigned(_ partitions: [TopicPartition], consumer: KafkaConsumer) async throws {}
}
