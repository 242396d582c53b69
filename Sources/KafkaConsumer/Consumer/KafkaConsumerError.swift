public import KafkaNetwork
public import KafkaProtocol

/// Every error the consumer's public API throws: a misuse of the consumer, a wait that ran out, a problem with
/// fetched data (``Kind/fetch(_:)``), the cluster (``Kind/broker(_:)``, ``Kind/network(_:)``), cancellation, or an
/// error thrown by the application's own code (its rebalance listener, its deserializers), which stays reachable in
/// ``underlying``.
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
        /// The records of a partition could not be read, or the broker refused its fetch for a reason retrying
        /// does not fix (corrupt data, no reset policy, an error the broker reported); the position stays at
        /// the record concerned.
        case fetch(ConsumerFetchError)
        /// The cluster reported an error the consumer does not handle itself: a commit or committed-offset
        /// lookup the group coordinator refused, an unknown topic, an authorization failure. The error names
        /// the API, topic and partition.
        case broker(KafkaError)
        /// The cluster could not be reached or answered in a way retrying does not fix (TLS or SASL failure,
        /// no common API version, no broker reachable within `request.timeout.ms`).
        case network(KafkaNetworkError)
        /// The task calling the consumer was cancelled (Java's `InterruptException`). A network failure met after
        /// the cancellation (a request cut short) is ``KafkaConsumerError/underlying``.
        case cancelled
        /// The application's rebalance listener threw from the named callback (`partitionsAssigned`,
        /// `partitionsRevoked` or `partitionsLost`); the partitions changed hands all the same. The listener's
        /// error is ``KafkaConsumerError/underlying``.
        case rebalanceListener(String)
        /// The key or the value of the record at `offset` of the partition could not be deserialized (Java's
        /// `RecordDeserializationException`); the position stays at that record. The
        /// ``RecordDeserializationError`` (with the deserializer's own error) is ``KafkaConsumerError/underlying``.
        case deserialization(TopicPartition, offset: Int64)
        /// An error of a type the consumer does not expect; it is ``KafkaConsumerError/underlying``.
        case unexpected
    }

    /// What went wrong.
    public var kind: Kind
    /// The consumer group concerned (commits, committed offsets, group membership, rebalance callbacks), when
    /// there is one.
    public var groupId: String?
    /// The error thrown by the application's code (``Kind/rebalanceListener(_:)``,
    /// ``Kind/deserialization(_:offset:)``), of an unexpected type (``Kind/unexpected``), or the network failure
    /// that followed a cancellation (``Kind/cancelled``); `nil` otherwise.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(_ kind: Kind, groupId: String? = nil, underlying: (any Error & Sendable)? = nil) {
        self.kind = kind
        self.groupId = groupId
        self.underlying = underlying
    }

    /// `error` as a consumer error: a ``KafkaConsumerError`` as it is (with `groupId` filled in when it has none),
    /// a ``ConsumerFetchError`` as ``Kind/fetch(_:)``, a `KafkaError` as ``Kind/broker(_:)``, a `KafkaNetworkError`
    /// as ``Kind/network(_:)`` (or ``Kind/cancelled`` with it in ``underlying`` when the calling task is cancelled:
    /// the request was cut short), a `CancellationError` as ``Kind/cancelled``, and anything else as
    /// ``Kind/unexpected`` with the error kept in ``underlying``.
    package init(wrapping error: any Error, groupId: String? = nil) {
        switch error {
        case let error as KafkaConsumerError:
            self = error
            if self.groupId == nil { self.groupId = groupId }
        case let error as ConsumerFetchError:
            self.init(.fetch(error), groupId: groupId)
        case let error as KafkaError:
            self.init(.broker(error), groupId: groupId)
        case let error as KafkaNetworkError:
            if Task.isCancelled {
                self.init(.cancelled, groupId: groupId, underlying: error)
            } else {
                self.init(.network(error), groupId: groupId)
            }
        case is CancellationError:
            self.init(.cancelled, groupId: groupId)
        default:
            self.init(.unexpected, groupId: groupId, underlying: error)
        }
    }

    /// The underlying error takes part by its description: two errors are equal when their kinds, groups and
    /// underlying errors' descriptions are.
    public static func == (lhs: KafkaConsumerError, rhs: KafkaConsumerError) -> Bool {
        lhs.kind == rhs.kind && lhs.groupId == rhs.groupId
            && lhs.underlying.map { "\($0)" } == rhs.underlying.map { "\($0)" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(groupId)
    }

    public var description: String {
        let text: String =
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
            case .fetch(let error): error.description
            case .broker(let error): "The cluster reported an error: \(error)"
            case .network(let error): "Network failure: \(error)"
            case .cancelled:
                "The task calling the consumer was cancelled" + (underlying.map { " (last failure: \($0))" } ?? "")
            case .rebalanceListener(let callback):
                "The rebalance listener's \(callback) threw: \(underlying.map { "\($0)" } ?? "an error")"
            case .deserialization(let partition, let offset):
                if let error = underlying as? RecordDeserializationError {
                    "Cannot deserialize the \(error.part.rawValue) of the record at \(partition) offset \(offset): "
                        + "\(error.underlying)"
                } else {
                    "Cannot deserialize the record at \(partition) offset \(offset): "
                        + (underlying.map { "\($0)" } ?? "the deserializer threw")
                }
            case .unexpected: "Unexpected error: \(underlying.map { "\($0)" } ?? "unknown")"
            }
        guard let groupId else { return text }
        return "[group \(groupId)] \(text)"
    }
}
