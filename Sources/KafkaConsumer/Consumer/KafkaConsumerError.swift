/// A misuse of the consumer or a wait that ran out, as opposed to a problem with fetched data
/// (``ConsumerFetchError``) or the cluster (`KafkaError`, `KafkaNetworkError`).
public struct KafkaConsumerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// The consumer was closed.
        case closed
        /// ``KafkaConsumer/poll(timeout:)`` was called while another poll was running (Java's
        /// `ConcurrentModificationException`): one task polls a consumer at a time.
        case pollInProgress
        /// The operation named a partition that is not assigned.
        case notAssigned(TopicPartition)
        /// The position of the partition could not be found in time.
        case timedOut(TopicPartition)
        /// Committing or reading committed offsets needs `group.id` (Java's `InvalidGroupIdException`).
        case noGroupId
        /// ``KafkaConsumer/offsetsForTimes(_:)`` was given a negative timestamp for the partition.
        case negativeTimestamp(TopicPartition)
        /// `subscribe` and `assign` were mixed (Java's `IllegalStateException`): ``KafkaConsumer/unsubscribe()``
        /// first.
        case subscriptionConflict(String)
        /// The subscription pattern is not a valid regular expression.
        case invalidPattern(String)
        /// The group rebalanced (or expelled this member) since the offsets were consumed: the commit of a
        /// stale generation is refused (Java's `CommitFailedException`). The reason names the broker's error.
        case commitFailed(String)
        /// Group membership failed for good (fenced static member, authorization, inconsistent protocols, a
        /// failing assignor); the consumer cannot take part in the group any more.
        case groupFailed(String)
        /// ``KafkaConsumer/wakeup()`` interrupted the poll (Java's `WakeupException`).
        case wakeup
    }

    /// What went wrong.
    public var kind: Kind

    /// Creates an error.
    public init(_ kind: Kind) {
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .closed: "The consumer is closed"
        case .pollInProgress: "Another task is polling this consumer; poll from one task at a time"
        case .notAssigned(let partition): "No current assignment for partition \(partition)"
        case .timedOut(let partition): "Timed out looking up the position of \(partition)"
        case .noGroupId: "Committing or reading committed offsets needs group.id to be set"
        case .negativeTimestamp(let partition): "The timestamp to look up for \(partition) is negative"
        case .subscriptionConflict(let reason): reason
        case .invalidPattern(let reason): "Invalid subscription pattern: \(reason)"
        case .commitFailed(let reason):
            "Commit cannot be completed since the group has already rebalanced and assigned the partitions to "
                + "another member (\(reason)); poll again to rejoin, and commit in partitionsRevoked"
        case .groupFailed(let reason): "Group membership failed: \(reason)"
        case .wakeup: "The poll was interrupted by wakeup()"
        }
    }
}
