package import KafkaProtocol

/// A topic and partition, as a dictionary key or in reports.
public struct TopicPartitionKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The topic name.
    public var topic: String
    /// The partition index.
    public var partition: Int32

    /// Creates a key.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// `topic-partition`, the form Kafka tools print.
    public var description: String { "\(topic)-\(partition)" }

    /// Orders by topic name byte-wise (UTF-8; total and stable, unlike `String.<`, which treats
    /// canonically equivalent names as equal), then by partition.
    public static func < (lhs: TopicPartitionKey, rhs: TopicPartitionKey) -> Bool {
        if lhs.topic != rhs.topic { return lhs.topic.utf8.lexicographicallyPrecedes(rhs.topic.utf8) }
        return lhs.partition < rhs.partition
    }
}

/// What ``MetadataCache/update(with:requestedTopics:now:)`` changed or refused.
package struct MetadataUpdateResult: Sendable, Equatable {
    /// Partitions whose incoming leader epoch was older than the cached one; the cached metadata was kept. Sorted.
    package var staleEpochPartitions: [TopicPartitionKey]
    /// Partitions known before and after the update whose leader changed (including to or from "no leader"). Sorted.
    package var leaderChanges: [TopicPartitionKey]
    /// Topics of the response that carry a topic-level error.
    package var topicsWithErrors: [String: KafkaErrorCode]

    /// Creates a result.
    package init(
        staleEpochPartitions: [TopicPartitionKey] = [], leaderChanges: [TopicPartitionKey] = [],
        topicsWithErrors: [String: KafkaErrorCode] = [:]
    ) {
        self.staleEpochPartitions = staleEpochPartitions
        self.leaderChanges = leaderChanges
        self.topicsWithErrors = topicsWithErrors
    }
}

extension KafkaErrorCode {
    /// Whether this error, in a Metadata, Produce, Fetch or ListOffsets response, means the cached metadata is
    /// stale and should be refreshed before retrying.
    ///
    /// Modelled on the Java client: the codes whose exceptions extend `InvalidMetadataException`
    /// (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION, REPLICA_NOT_AVAILABLE,
    /// KAFKA_STORAGE_ERROR, FENCED_LEADER_EPOCH, NETWORK_EXCEPTION, LISTENER_NOT_FOUND,
    /// PREFERRED_LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_ID, INCONSISTENT_TOPIC_ID), plus OFFSET_NOT_AVAILABLE (the
    /// Java fetcher requests a metadata update for it) and NOT_CONTROLLER (the admin client refreshes metadata to
    /// find the new controller, whose id lives in the metadata here).
    ///
    /// Not included: UNKNOWN_LEADER_EPOCH (the broker is behind the client; it is retriable without a refresh)
    /// and the coordinator errors (coordinators are looked up separately, see `isCoordinatorError`).
    package var invalidatesMetadata: Bool {
        switch self {
        case .notLeaderOrFollower, .leaderNotAvailable, .unknownTopicOrPartition, .replicaNotAvailable,
            .kafkaStorageError, .fencedLeaderEpoch, .networkException, .listenerNotFound,
            .preferredLeaderNotAvailable, .unknownTopicId, .inconsistentTopicId, .offsetNotAvailable, .notController:
            true
        default:
            false
        }
    }
}

/// The metadata cache: merges Metadata responses, keeps leader epochs monotonic and knows when it is stale.
///
/// Pure state; the caller supplies every instant.
package struct MetadataCache: Sendable {
    /// How long a snapshot stays fresh (`metadata.max.age.ms`).
    package let maxAge: Duration
    /// How long after a response that reported stale-metadata errors (a topic being created, a partition without
    /// leader) the cache asks for a refresh again.
    package let errorRefreshDelay: Duration
    /// What the client knows about the cluster now.
    package private(set) var snapshot: ClusterMetadata = .empty
    /// Counts the updates applied to ``snapshot`` (starts at 0), so that users can cache what they derive from it.
    package private(set) var generation: UInt64 = 0
    /// When the last update covering every tracked topic was applied, nil before the first one.
    package private(set) var lastRefresh: ContinuousClock.Instant?
    /// Topics explicitly marked stale with ``invalidate(topic:)``.
    package private(set) var invalidatedTopics: Set<String> = []
    /// Whether ``invalidate(topic:)`` was called with nil since the last covering update.
    package private(set) var isInvalidated = false
    /// Topics whose last response carried a stale-metadata error; they make the cache stale once
    /// ``errorRefreshDelay`` has passed.
    package private(set) var topicsAwaitingRecovery: Set<String> = []
    private var errorRefreshDue: ContinuousClock.Instant?

    /// Topics the client is interested in (metadata requests ask for these; the admin may ask for all).
    package var trackedTopics: Set<String> = []

    /// Creates an empty cache.
    ///
    /// - Parameters:
    ///   - maxAge: how long a snapshot stays fresh; negative values count as zero.
    ///   - errorRefreshDelay: the delay before refreshing again after a response with stale-metadata errors
    ///     (default 100 ms, like `retry.backoff.ms`); negative values count as zero.
    package init(maxAge: Duration, errorRefreshDelay: Duration = .milliseconds(100)) {
        self.maxAge = max(maxAge, .zero)
        self.errorRefreshDelay = max(errorRefreshDelay, .zero)
    }

    /// Merges a Metadata response.
    ///
    /// - `requestedTopics == nil` means every topic was asked for: topics absent from the response are removed.
    ///   Otherwise the requested topics absent from the response are removed and all other cached topics are kept.
    ///   Topics in the response are merged either way.
    /// - Brokers, controller and cluster id are replaced by the response's.
    /// - For each partition: an incoming leader epoch that is known and lower than the known cached one means a stale
    ///   broker answered; the cached partition is kept and reported. Equal or higher epochs, or an unknown epoch on
    ///   either side, take the incoming partition.
    /// - A topic whose id changed (re-created), or a response from a different cluster id, replaces the cached
    ///   partitions without comparing epochs.
    /// - Topic-level errors stay visible in the snapshot; errors that ``KafkaErrorCode/invalidatesMetadata`` (at
    ///   topic or partition level) and partitions without a leader make the cache ask for a refresh after
    ///   ``errorRefreshDelay``.
    /// - An update that covers every tracked topic (`requestedTopics` nil or a superset of ``trackedTopics``) sets
    ///   ``lastRefresh`` and clears every invalidation; a narrower one clears only the invalidation of the topics it
    ///   carried or requested.
    @discardableResult
    package mutating func update(
        with response: MetadataResponse, requestedTopics: Set<String>?, now: ContinuousClock.Instant
    ) -> MetadataUpdateResult {
        let incoming = ClusterMetadata(response: response)
        let old = snapshot
        let sameCluster = old.clusterID == nil || incoming.clusterID == nil || old.clusterID == incoming.clusterID
        var result = MetadataUpdateResult()
        var unhealthy = Set<String>()

        var topics: [String: TopicMetadata]
        if let requestedTopics {
            topics = old.topics
            for name in requestedTopics { topics[name] = nil }
        } else {
            topics = [:]
        }
        for (name, fresh) in incoming.topics {
            var merged = fresh
            if let error = fresh.error {
                result.topicsWithErrors[name] = error
                if error.invalidatesMetadata { unhealthy.insert(name) }
            }
            if sameCluster, let cached = old.topics[name], !Self.isRecreated(cached: cached, fresh: fresh) {
                merged.partitions = fresh.partitions.map { partition in
                    guard let kept = cached.partition(partition.partition), let cachedEpoch = kept.leaderEpoch,
                        let freshEpoch = partition.leaderEpoch, freshEpoch < cachedEpoch
                    else { return partition }
                    result.staleEpochPartitions.append(partition.key)
                    return kept
                }
            }
            if merged.partitions.contains(where: { $0.leader == nil || $0.error?.invalidatesMetadata == true }) {
                unhealthy.insert(name)
            }
            topics[name] = merged
        }
        for (name, topic) in topics {
            guard let previous = old.topics[name] else { continue }
            for partition in topic.partitions {
                if let before = previous.partition(partition.partition), before.leader != partition.leader {
                    result.leaderChanges.append(partition.key)
                }
            }
        }
        result.staleEpochPartitions.sort()
        result.leaderChanges.sort()

        snapshot = ClusterMetadata(
            clusterID: incoming.clusterID, controllerID: incoming.controllerID, brokers: incoming.brokers,
            topics: topics)
        generation &+= 1

        let coversTracked = requestedTopics.map { trackedTopics.isSubset(of: $0) } ?? true
        if coversTracked {
            lastRefresh = now
            isInvalidated = false
            invalidatedTopics = []
            topicsAwaitingRecovery = []
        } else {
            let refreshed = Set(incoming.topics.keys).union(requestedTopics ?? [])
            invalidatedTopics.subtract(refreshed)
            topicsAwaitingRecovery.subtract(refreshed)
        }
        if !unhealthy.isEmpty {
            topicsAwaitingRecovery.formUnion(unhealthy)
            errorRefreshDue = now.advanced(by: errorRefreshDelay)
        } else if topicsAwaitingRecovery.isEmpty {
            errorRefreshDue = nil
        }
        return result
    }

    private static func isRecreated(cached: TopicMetadata, fresh: TopicMetadata) -> Bool {
        guard let old = cached.topicID, let new = fresh.topicID else { return false }
        return old != new
    }

    /// Records that a request hit a stale-metadata error for `topic` (nil: everything), so that
    /// ``needsRefresh(now:)`` is true until an update covers it.
    package mutating func invalidate(topic: String?) {
        if let topic {
            invalidatedTopics.insert(topic)
        } else {
            isInvalidated = true
        }
    }

    /// Whether the cache should be refreshed now: never refreshed, older than ``maxAge``, invalidated, or
    /// ``errorRefreshDelay`` has passed since a response reported stale-metadata errors.
    package func needsRefresh(now: ContinuousClock.Instant) -> Bool {
        guard let lastRefresh else { return true }
        if isInvalidated || !invalidatedTopics.isEmpty { return true }
        if let errorRefreshDue, !topicsAwaitingRecovery.isEmpty, now >= errorRefreshDue { return true }
        return lastRefresh.duration(to: now) >= maxAge
    }

    /// When the next periodic refresh is due (``lastRefresh`` + ``maxAge``), nil if never refreshed.
    package func nextRefreshDeadline() -> ContinuousClock.Instant? {
        lastRefresh?.advanced(by: maxAge)
    }
}
